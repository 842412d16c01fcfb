import { randomBytes } from 'node:crypto';
import { TaskResults, type TaskInfo, type TaskKind, type TaskParamsOf, type TaskProgressEvent, type TaskResult } from '../../shared/api.js';
import { checkResults } from './dispatch.js';
import { toApiError } from './errors.js';
import { bundleEntry, Engine, EngineError, ErrorCode, errorMessage, runOp } from '../engine/index.js';
import type { EventHub } from './hub.js';
import { taskOps } from './task-ops.js';

export interface TaskContext {
  readonly task: string;
  readonly signal: AbortSignal;
  progress(p: Omit<TaskProgressEvent, 'task' | 'kind'>): void;
}

interface Entry {
  info: TaskInfo;
  abort: AbortController;
}

/**
 * Long work (build, commit, load, save, prune) runs as a task: the call answers the id at
 * once, progress and the end arrive as events keyed by it, and the task keeps running when
 * the page that started it goes away. Finished tasks are kept (bounded) so a page that comes
 * back can ask how it ended.
 */
export class TaskRunner {
  private readonly tasks = new Map<string, Entry>();
  private static readonly keepFinished = 200;

  constructor(private readonly hub: EventHub) {}

  start(kind: string, title: string, work: (ctx: TaskContext) => Promise<TaskResult>): string {
    const task = `${kind}-${randomBytes(6).toString('hex')}`;
    const abort = new AbortController();
    const info: TaskInfo = { task, kind, title, state: 'running', startedAt: Date.now(), message: 'started' };
    this.tasks.set(task, { info, abort });
    const ctx: TaskContext = {
      task,
      signal: abort.signal,
      progress: (p) => {
        info.message = p.message;
        this.hub.publish('task.progress', { task, kind, ...p });
      },
    };
    // Start on the next tick so the caller has the id before the first event.
    setImmediate(() => {
      // cancelled before it began: it never runs
      if (abort.signal.aborted) return this.finish(task, 'cancelled');
      work(ctx).then(
        (result) => this.finish(task, abort.signal.aborted ? 'cancelled' : 'done', result),
        (e) => this.finish(task, abort.signal.aborted ? 'cancelled' : 'failed', undefined, errorMessage(e), toApiError(e, String).code),
      );
    });
    this.prune();
    return task;
  }

  /**
   * Run a long operation off this process's event loop: in a child process with its own
   * engine when the compiled child exists, else in-process (same code, same events).
   */
  runOp<K extends TaskKind>(engine: Engine, kind: K, title: string, params: TaskParamsOf<K>): string {
    return this.start(kind, title, async (ctx) => {
      const result = await this.runOpOnce(engine, kind, params, ctx);
      // In development and tests every result must be what the contract says (the renderer trusts it).
      if (checkResults()) TaskResults[kind].parse(result);
      return result as TaskResult;
    });
  }

  private runOpOnce<K extends TaskKind>(engine: Engine, kind: K, params: TaskParamsOf<K>, ctx: TaskContext): Promise<unknown> {
    return runOp(engine, taskOps, kind as TaskKind, params as never, ctx, this.childEntry);
  }

  /** the child entry tasks run in (undefined: in-process), see engine/child-op.ts */
  childEntry: string | undefined = bundleEntry('task-child');

  cancel(task: string): void {
    const t = this.tasks.get(task);
    if (!t) throw new EngineError(ErrorCode.NOT_FOUND, `No such task: ${task}`);
    if (t.info.state === 'running') t.abort.abort();
  }

  list(): TaskInfo[] {
    return [...this.tasks.values()].map((t) => ({ ...t.info })).sort((a, b) => b.startedAt - a.startedAt);
  }

  get(task: string): TaskInfo | undefined {
    const t = this.tasks.get(task);
    return t && { ...t.info };
  }

  /** Resolves when the task ends (tests, CLI callers). */
  wait(task: string): Promise<TaskInfo> {
    return new Promise((resolve) => {
      const check = () => {
        const t = this.get(task);
        if (!t || t.state !== 'running') resolve(t!);
        else setTimeout(check, 50);
      };
      check();
    });
  }

  private finish(task: string, state: 'done' | 'failed' | 'cancelled', result?: TaskResult, error?: string, code?: string): void {
    const t = this.tasks.get(task);
    if (!t) return;
    t.info.state = state;
    t.info.result = result;
    t.info.error = state === 'cancelled' ? 'cancelled' : error;
    if (state === 'failed' && code) t.info.code = code;
    t.info.message = state === 'done' ? 'done' : state === 'cancelled' ? 'cancelled' : (error ?? 'failed');
    this.hub.publish('task.done', { task, kind: t.info.kind, state, result, error: t.info.error, ...(t.info.code ? { code: t.info.code } : {}) });
  }

  private prune(): void {
    const finished = [...this.tasks.values()].filter((t) => t.info.state !== 'running');
    for (const t of finished.slice(0, Math.max(0, finished.length - TaskRunner.keepFinished))) this.tasks.delete(t.info.task);
  }
}
