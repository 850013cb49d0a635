// The nice values and scheduling policies of this process's threads (Linux /proc), for tests of worker-thread priority.
import { readdirSync, readFileSync } from 'node:fs';

/** Thread id -> field `n` of /proc/self/task/TID/stat (1-based, as proc(5) numbers them). */
function threadStat(n: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3])); // (fields after the command name start at 3)
  }
  return out;
}

/** Thread id -> nice value (field 19). */
export const threadNices = (): Map<string, number> => threadStat(19);

/** Thread id -> scheduling policy (field 41: 0 SCHED_OTHER, 5 SCHED_IDLE). */
export const threadPolicies = (): Map<string, number> => threadStat(41);
