// One server process of a cluster (src/server/cluster.ts): runs startServer() from the spec in its
// environment, answers the primary's metrics/reload/shutdown messages, drains on SIGTERM/SIGINT itself.
import { WardenError } from '../errors.js';
import { PROCESS_SPEC_ENV, type ProcessSpec, type ToPrimary, type ToProcess } from './cluster.js';
import { lineWriter } from './log.js';
import { startServer } from './server.js';

const send = (m: ToPrimary): void => void process.send?.(m);
const spec = JSON.parse(process.env[PROCESS_SPEC_ENV] ?? '{}') as ProcessSpec;
const log = spec.forwardLogs ? (line: string) => send({ type: 'log', line }) : lineWriter(1);

try {
  const server = await startServer(spec.config, {
    ...(spec.host !== undefined ? { host: spec.host } : {}),
    ...(spec.port !== undefined ? { port: spec.port } : {}),
    ...(spec.watch !== undefined ? { watch: spec.watch } : {}),
    metricsPort: false,
    log,
    quiet: true,
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('message', (m: ToProcess) => {
    if (m.type === 'metrics') send({ type: 'metrics', id: m.id, text: server.metrics() });
    else if (m.type === 'reload') {
      server.reload().then(
        () => send({ type: 'reloaded', id: m.id }),
        (e: unknown) => send({ type: 'reloaded', id: m.id, error: e instanceof Error ? e.message : String(e) }),
      );
    }
    else if (m.type === 'shutdown') stop();
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {}); // the primary forwards reloads
  send({ type: 'ready', url: server.url });
} catch (e) {
  send({ type: 'failed', kind: e instanceof WardenError ? e.kind : 'internal', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
  process.disconnect?.();
}
