// A child process that runs one long task (task-ops.ts) against the store and reports back
// over the IPC channel: progress, then done or failed. It owns its own Engine (SQLite in WAL
// mode takes the parent and the child at once), so the parent's event loop stays free.
import { Engine, EngineError, ErrorCode, errorMessage } from '../engine/index.js';
import { taskOps } from './task-ops.js';
import type { TaskKind } from '../../shared/api.js';

interface Start {
  type: 'start';
  root: string;
  kind: TaskKind;
  params: unknown;
}

const abort = new AbortController();
const send = (m: unknown) => new Promise<void>((ok) => (process.send ? process.send(m, () => ok()) : ok()));

process.on('message', (m: Start | { type: 'cancel' }) => {
  if (m.type === 'cancel') return abort.abort();
  const engine = new Engine(m.root);
  const op = taskOps[m.kind] as (e: Engine, p: unknown, t: { progress: (p: object) => void; signal: AbortSignal }) => Promise<unknown>;
  op(engine, m.params, { progress: (p) => void send({ type: 'progress', p }), signal: abort.signal })
    .then(
      (result) => send({ type: 'done', result }),
      // The whole message and the category cross, so the parent fails the task as the engine did.
      (e) => send({ type: 'failed', code: e instanceof EngineError ? e.code : ErrorCode.UNKNOWN, error: errorMessage(e) }),
    )
    .finally(() => {
      engine.close();
      process.disconnect?.();
    });
});
// If the parent goes away the work still finishes (a kill could leave temp files behind);
// the process ends by itself once nothing is left to do.
