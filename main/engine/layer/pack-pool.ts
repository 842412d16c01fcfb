import { Worker } from 'node:worker_threads';
import type { NewLayer } from '../image/images.js';
import { EngineError, type ErrorCode } from '../model/errors.js';
import { bundleEntry } from '../util/bundle-entry.js';

export interface PackJob {
  id: number;
  /** the store's root: the worker writes into its blobs */
  root: string;
  dir: string;
  /** the dir is an overlay upper */
  upper: boolean;
  epoch?: number;
  rootless?: boolean;
}

export type PackReply = { id: number; layer: NewLayer; error?: undefined } | { id: number; error: { code: ErrorCode; message: string } };

/**
 * One packing thread per process, started by the first pack and kept for the next: a build
 * packs each step's layer while the next step runs, and on the main thread the two took turns.
 * The thread holds the process open only while it has work.
 */
let worker: Worker | undefined;
/** the thread could not start or died: pack on the caller's thread from then on */
let broken = false;
let nextId = 0;
const waiting = new Map<number, { resolve: (l: NewLayer) => void; reject: (e: unknown) => void }>();

/** The packing thread went away with this job (a worker that cannot load, say inside an asar
 *  archive): the caller packs it itself. */
export class PackThreadFailed extends Error {}

/** Pack on the packing thread; undefined when there is none (its entry is not built, or it
 *  failed before): the caller packs itself. */
export async function packOnThread(job: Omit<PackJob, 'id'>): Promise<NewLayer | undefined> {
  const w = packer();
  if (!w) return undefined;
  const id = ++nextId;
  const done = new Promise<NewLayer>((resolve, reject) => waiting.set(id, { resolve, reject }));
  if (waiting.size === 1) w.ref();
  w.postMessage({ ...job, id } satisfies PackJob);
  return done;
}

function packer(): Worker | undefined {
  if (worker || broken) return worker;
  const entry = bundleEntry('pack-worker');
  if (!entry) return undefined;
  const w = new Worker(entry);
  w.on('message', (r: PackReply) => {
    const p = waiting.get(r.id);
    if (!p) return;
    waiting.delete(r.id);
    if (!waiting.size) w.unref();
    if (r.error) p.reject(new EngineError(r.error.code, r.error.message));
    else p.resolve(r.layer);
  });
  const fail = (e: unknown) => {
    if (worker === w) worker = undefined;
    broken = true;
    const err = e instanceof Error ? e : new Error(String(e));
    for (const p of waiting.values()) p.reject(new PackThreadFailed(`the layer packing thread failed: ${err.message}`));
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`it exited (${code})`)));
  w.unref();
  worker = w;
  return w;
}
