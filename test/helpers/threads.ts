// The nice values of this process's threads (Linux /proc), for tests of worker-thread niceness.
import { readdirSync, readFileSync } from 'node:fs';

/** Thread id -> nice value (field 19 of /proc/self/task/TID/stat). */
/** Scheduling policy of each thread of this process (Linux; 0 SCHED_OTHER, 5 SCHED_IDLE), by thread id. */
export function threadPolicies(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]));
  }
  return out;
}

export function threadNices(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}
