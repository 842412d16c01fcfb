import type { Engine } from '../engine.js';
import type { ImageRecord } from '../image/images.js';
import { pull, type PullOptions } from './pull.js';
import { parseReference, repositoryOf } from '../image/reference.js';
import { KnownBlobs } from './known-blobs.js';
import type { ProgressListener, TransferEvent } from './progress.js';

export { pull, type PullOptions, type PullResult } from './pull.js';
export { push, type PushOptions, type PushResult } from './push.js';
export { login, logout, registryDomain } from './login.js';
export type { LayerProgress, LayerStatus, TransferEvent, ProgressListener } from './progress.js';

/**
 * The image for `ref`, pulled when it is not here yet: what `run`, `create` and a build's
 * FROM call. A local image always wins (docker's default --pull=missing).
 */
export async function ensureImage(engine: Engine, ref: string, opts: PullOptions = {}, onProgress?: ProgressListener): Promise<ImageRecord> {
  const local = engine.images.find(ref) ?? pulledByIndexDigest(engine, ref);
  if (local) return local;
  return (await pull(engine, ref, opts, onProgress)).image;
}

/** name@digest that we pulled or pushed under that digest (an index's, say) is here already. */
function pulledByIndexDigest(engine: Engine, ref: string): ImageRecord | undefined {
  let r;
  try {
    r = parseReference(ref);
  } catch {
    return undefined;
  }
  if (!r.digest) return undefined;
  const id = new KnownBlobs(engine.store).imageByRepoDigest(repositoryOf(r), r.digest);
  return id ? engine.images.get(id) : undefined;
}

/**
 * Progress as plain lines (`<id>: Pull complete`), one per layer when it is done: for callers
 * that print to a log or stderr (run/create's "Unable to find image locally", build FROM).
 */
export function progressLines(print: (line: string) => void): ProgressListener {
  const seen = new Map<string, string>();
  const words: Record<string, string> = { exists: 'Already exists', complete: 'Pull complete', pushed: 'Pushed', mounted: 'Mounted', failed: 'Failed' };
  return (e: TransferEvent) => {
    if (e.kind === 'status') return print(e.message);
    const w = words[e.layer.status];
    if (!w || seen.get(e.layer.id) === w) return;
    seen.set(e.layer.id, w);
    print(`${e.layer.id}: ${w}`);
  };
}
