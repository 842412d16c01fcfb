import { parentPort } from 'node:worker_threads';
import { BlobStore } from '../store/blobs.js';
import { StorePaths } from '../store/paths.js';
import { EngineError, ErrorCode, errorMessage } from '../model/errors.js';
import { commitDirectory, commitUpperDir } from './diff.js';
import type { PackJob, PackReply } from './pack-pool.js';

/**
 * The builder's layer packer, on a thread of its own (pack-pool.ts starts it): a COPY writes
 * its files with synchronous calls on the main thread, and a pack that shared that thread
 * stalled for as long as each of them ran.
 */
const stores = new Map<string, BlobStore>();

parentPort!.on('message', (job: PackJob) => {
  void pack(job).then(
    (layer): PackReply => ({ id: job.id, layer }),
    (e: unknown): PackReply => ({ id: job.id, error: { code: e instanceof EngineError ? e.code : ErrorCode.SYSTEM, message: errorMessage(e) } }),
  ).then((reply) => parentPort!.postMessage(reply));
});

async function pack(job: PackJob) {
  let blobs = stores.get(job.root);
  if (!blobs) stores.set(job.root, (blobs = new BlobStore(new StorePaths(job.root))));
  return job.upper
    ? await commitUpperDir(job.dir, blobs, { epoch: job.epoch, rootless: job.rootless, syncIo: true })
    : await commitDirectory(job.dir, blobs, { epoch: job.epoch, syncIo: true });
}
