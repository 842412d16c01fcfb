import { existsSync, statSync } from 'node:fs';
import type { Engine } from '../engine.js';
import { LogReader, changeOrTimeout, dockerTime, tailEntries, type LogEntry } from '../container/logs.js';

export interface LogsRequest {
  stdout?: boolean;
  stderr?: boolean;
  /** keep reading until the container exits (or `signal` aborts) */
  follow?: boolean;
  /** ms since the epoch: only records at or after / before it */
  since?: number;
  until?: number;
  /** the last N lines; negative = all */
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

const recordTime = (e: LogEntry) => Date.parse(e.time);

/**
 * docker logs as a stream of chunks: the container's k8s-file log (written by conmon), filtered
 * by stream, time and tail, then followed while the container runs. The one reader behind the
 * CLI's and the Engine API's logs. Stops when the container exits, or when `signal` aborts.
 */
export async function* containerLogs(engine: Engine, ref: string, o: LogsRequest): AsyncGenerator<LogChunk> {
  const mgr = engine.containers;
  // Open the log before anything async: a container that exits at once can be removed (by
  // --rm, or by a client such as docker-py's containers.run, which removes it right after its
  // wait) before this reader's first look, and an open fd still reads an unlinked file.
  const found = mgr.find(ref);
  const early = found && new LogReader(mgr.files(found.id).log, 0);
  early?.open();
  const rec = found && !mgr.find(found.id) ? found : await mgr.get(ref).catch((e: unknown) => {
    if (early) return found!; // removed meanwhile: what it wrote is still there to read
    throw e;
  });
  const f = mgr.files(rec.id);
  const reader = early ?? new LogReader(f.log, 0);
  const want = (e: LogEntry) =>
    (e.stream === 'stdout' ? o.stdout !== false : o.stderr !== false) &&
    (o.since === undefined || recordTime(e) >= o.since) &&
    (o.until === undefined || recordTime(e) <= o.until);
  // A line's timestamp goes before its first record only (P records continue it).
  const pending = { stdout: true, stderr: true };
  const render = (e: LogEntry): LogChunk => {
    const prefix = o.timestamps && pending[e.stream] ? `${dockerTime(e.time)} ` : '';
    pending[e.stream] = e.full;
    return { stream: e.stream, data: Buffer.from(`${prefix}${e.text}${e.full ? '\n' : ''}`) };
  };
  try {
    for (const e of tailEntries(reader.read().filter(want), o.tail ?? -1)) yield render(e);
    if (!o.follow) return;
    for (;;) {
      if (o.signal?.aborted) return;
      if (o.until !== undefined && Date.now() > o.until) return;
      const done = await mgr.waitExit(rec.id, 0);
      for (const e of reader.read()) if (want(e)) yield render(e);
      if (done) return;
      await changeOrTimeout(f.dir, 200);
    }
  } finally {
    reader.close();
  }
}

/**
 * What an attached client sees (POST /containers/{id}/attach, `docker start -a`): the output of
 * the container's current run, or of the next run when it is not running yet (docker's client
 * attaches before it starts), until that run exits. `logs` replays the log first. The exit is
 * recorded (finalize) before the stream ends, so a waiting client sees the code at once.
 */
export async function* attachOutput(engine: Engine, ref: string, o: { logs?: boolean; stdout?: boolean; stderr?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<LogChunk> {
  const mgr = engine.containers;
  const rec = await mgr.get(ref);
  const f = mgr.files(rec.id);
  const offset = !o.logs && existsSync(f.log) ? statSync(f.log).size : 0;
  const reader = new LogReader(f.log, offset);
  const wasRunning = rec.state === 'running' || rec.state === 'paused';
  const want = (e: LogEntry) => (e.stream === 'stdout' ? o.stdout !== false : o.stderr !== false);
  const chunk = (e: LogEntry): LogChunk => ({ stream: e.stream, data: Buffer.from(e.full ? `${e.text}\n` : e.text) });
  try {
    for (;;) {
      for (const e of reader.read()) if (want(e)) yield chunk(e);
      if (o.signal?.aborted) return;
      const r = mgr.find(rec.id);
      if (!r) return;
      if (r.state === 'running' || r.state === 'paused') {
        if (await mgr.waitExit(rec.id, 0)) {
          // conmon drains the container's pipes before it writes the exit file: read the rest.
          for (const e of reader.read()) if (want(e)) yield chunk(e);
          await mgr.finalize(rec.id);
          return;
        }
      } else if (r.state !== 'created' && (wasRunning || r.finishedAt !== rec.finishedAt)) {
        for (const e of reader.read()) if (want(e)) yield chunk(e);
        return;
      }
      await changeOrTimeout(f.dir, 100);
    }
  } finally {
    reader.close();
  }
}
