import { createReadStream, existsSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import type { ImageRecord } from './images.js';
import { LayerIngest, diffIdOfBlob } from './ingest.js';
import { applyChanges } from './changes.js';
import { normalizeTagged } from './reference.js';
import { hostArch, MediaTypes, type ImageConfig } from './types.js';
import { InvalidArgumentError, NotFoundError, errorMessage, EngineError } from '../model/errors.js';

export interface ImportOptions {
  /** REPO[:TAG] to give the new image */
  ref?: string;
  /** -c: Dockerfile instructions applied to the config */
  changes?: string[];
  /** -m: the commit message (docker: "Imported from <source>" when empty) */
  message?: string;
  /** created timestamp (tests, reproducible seeds); default now */
  created?: string;
}

/**
 * `slipway import`: a root filesystem tar (plain or gzip; a path, or a stream for `-`) becomes
 * a one-layer image. The blob is kept as it came; the snapshot is checked against its diffID.
 */
export async function importRootfs(engine: Engine, src: string | Readable, opts: ImportOptions = {}): Promise<ImageRecord> {
  const source = typeof src === 'string' ? src : '-';
  const tags = opts.ref ? [normalizeTagged(opts.ref)] : [];
  const runtime = applyChanges({}, opts.changes ?? []);
  if (typeof src === 'string') {
    if (!existsSync(src)) throw new NotFoundError(`open ${src}: no such file or directory`);
    if (statSync(src).isDirectory()) throw new InvalidArgumentError(`${src} is a directory: import takes a tar archive of a root filesystem`);
  }
  const ingest = new LayerIngest(engine.images);
  try {
    const blob = await ingest.putBlob(typeof src === 'string' ? createReadStream(src) : src);
    if (blob.size === 0) throw new InvalidArgumentError(`${source} is empty: import takes a tar archive of a root filesystem`);
    const mediaType = ingest.layerMediaType(blob.digest, source);
    const diffId = mediaType === MediaTypes.ociLayer ? blob.digest : (await diffIdOfBlob(engine.store.blobs.path(blob.digest)).catch(() => {
      throw new InvalidArgumentError(`${source}: the gzip stream is corrupt or truncated`);
    })).diffId;
    let layer;
    try {
      layer = await ingest.layer(blob, mediaType, diffId, diffId, source);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new InvalidArgumentError(`${source} is not a valid tar archive: ${errorMessage(e)}`);
    }
    const created = opts.created ?? new Date().toISOString();
    const comment = opts.message || `Imported from ${source}`;
    const config: ImageConfig = {
      created,
      architecture: hostArch(),
      os: 'linux',
      config: runtime,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, comment }],
      comment,
    };
    return engine.images.add({ config, layers: [layer], tags, lineage: { kind: 'import', detail: { source, message: opts.message ?? '' } } });
  } finally {
    // Rolls back on failure, and on success drops content no row uses (e.g. the image was here already).
    ingest.rollback();
    ingest.close();
  }
}
