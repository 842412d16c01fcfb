import { fork } from 'node:child_process';
import { BuildStepError } from './builder/errors.js';
import { Engine } from './engine.js';
import { EngineError, ErrorCode, errorMessage, type ErrorDetail } from './model/errors.js';

/**
 * Long operations (a build, a load, a pull) run in a child process with its own Engine on the
 * same store (SQLite in WAL mode takes both), for two doors: the app's tasks
 * (server/tasks.ts) and the Engine API's POST /build. The parent's event loop stays free of
 * their CPU work, and what they grow (V8's heap, native buffers) goes back to the system when
 * the child exits: a long-lived process keeps the heap it once grew.
 *
 * An op is a plain function of (engine, params, {progress, signal}); each door keeps a table
 * of its ops and a child entry that serves it (server/task-child.ts, api/api-child.ts: entries
 * of the bundle, found with bundleEntry()), and passes that entry to runOp. Params, progress
 * and results cross the IPC channel by structured clone (serialization 'advanced').
 */

export interface OpContext<P = unknown> {
  readonly signal: AbortSignal;
  progress(p: P): void;
}

/** One op; `never` so that a table takes ops of any params and progress. */
export type ChildOp = (engine: Engine, params: never, ctx: OpContext<never>) => Promise<unknown>;
export type ChildOps = Record<string, ChildOp>;
type OpParams<O> = O extends (e: Engine, p: infer P, c: never) => Promise<unknown> ? P : never;
type OpProgress<O> = O extends (e: Engine, p: never, c: OpContext<infer E>) => Promise<unknown> ? E : never;

/** An error as it crosses the channel: its category, whole message and what a door reads from it. */
interface WireError {
  name: string;
  code: ErrorCode;
  message: string;
  detail?: ErrorDetail;
  step?: string;
  outputTail?: string[];
  runExitCode?: number;
}

function toWire(e: unknown): WireError {
  const w: WireError = { name: e instanceof Error ? e.name : 'Error', code: e instanceof EngineError ? e.code : ErrorCode.UNKNOWN, message: errorMessage(e) };
  if (e instanceof EngineError && Object.keys(e.detail).length) w.detail = { ...e.detail };
  if (e instanceof BuildStepError) Object.assign(w, { step: e.step, outputTail: e.outputTail, runExitCode: e.runExitCode });
  return w;
}

/** The parent's copy: the same class where a door tells them apart (a RUN's exit code), else an EngineError of the same category. */
function fromWire(w: WireError): EngineError {
  if (w.name === 'BuildStepError') return new BuildStepError(w.message, w.step, w.outputTail, w.runExitCode);
  return new EngineError(w.code, w.message, w.detail);
}

type Message = { type: 'progress'; p: unknown } | { type: 'done'; result: unknown } | { type: 'failed'; error: WireError };

/**
 * Run `ops[op]` in a child running `entry` (a door's child entry), else, when the door has none
 * built, in this process (same code, same progress). Progress arrives in the order the op made it; `ctx.signal` cancels the op in the
 * child; the op's error comes back with its category, message and build-step facts.
 */
export function runOp<T extends ChildOps, K extends keyof T & string>(
  engine: Engine,
  ops: T,
  op: K,
  params: OpParams<T[K]>,
  ctx: OpContext<OpProgress<T[K]>>,
  entry: string | undefined,
): Promise<Awaited<ReturnType<T[K]>>> {
  type Result = Awaited<ReturnType<T[K]>>;
  if (!entry) return (ops[op] as unknown as (e: Engine, p: typeof params, c: typeof ctx) => Promise<Result>)(engine, params, ctx);
  return new Promise((resolvePromise, reject) => {
    const child = fork(entry, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let settled = false;
    child.stderr!.on('data', (c) => (stderr = (stderr + c).slice(-2000)));
    const onAbort = () => child.connected && child.send({ type: 'cancel' });
    ctx.signal.addEventListener('abort', onAbort);
    if (ctx.signal.aborted) queueMicrotask(onAbort); // after the start message below
    child.on('message', (m: Message) => {
      if (m.type === 'progress') ctx.progress(m.p as OpProgress<T[K]>);
      else if (m.type === 'done') (settled = true), resolvePromise(m.result as Result);
      else if (m.type === 'failed') (settled = true), reject(fromWire(m.error));
    });
    child.on('exit', (code, sig) => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (settled) return;
      const lines = stderr.trim().split('\n');
      reject(new EngineError(ErrorCode.SYSTEM, `the ${op} task ended unexpectedly (${sig ?? `exit ${code}`}): ${lines.find((l) => /Error|error:/.test(l)) ?? lines.pop() ?? ''}`));
    });
    child.send({ type: 'start', root: engine.store.paths.root, kind: op, params });
  });
}

/**
 * The child's side: wait for the start message, run that op on an Engine of its own, report
 * progress, then done or failed, and end. If the parent goes away the work still finishes (a
 * kill could leave temp files behind); the process ends by itself once nothing is left to do.
 */
export function serveChildOps(ops: ChildOps): void {
  const abort = new AbortController();
  const send = (m: Message) => new Promise<void>((ok) => (process.send ? process.send(m, () => ok()) : ok()));
  process.on('message', (m: { type: 'start'; root: string; kind: string; params: unknown } | { type: 'cancel' }) => {
    if (m.type === 'cancel') return abort.abort();
    const engine = new Engine(m.root);
    const op = (Object.hasOwn(ops, m.kind) ? ops[m.kind] : () => Promise.reject(new EngineError(ErrorCode.INVALID, `no such child op: ${m.kind}`))) as (e: Engine, p: unknown, c: OpContext) => Promise<unknown>;
    op(engine, m.params, { progress: (p) => void send({ type: 'progress', p }), signal: abort.signal })
      .then(
        (result) => send({ type: 'done', result }),
        (e: unknown) => send({ type: 'failed', error: toWire(e) }),
      )
      .finally(() => {
        engine.close();
        process.disconnect?.();
      });
  });
}
