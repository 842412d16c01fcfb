import type { DB } from '../db.js';

/**
 * The `layer_compressions` table, the only SQL for it: the gzip blob we pushed for a layer we
 * keep uncompressed, so the next push can ask "exists?" without compressing again. The blob
 * lives on the registry, not here, so `refs()` is empty.
 */
export const layerCompressionsTable = {
  get(db: DB, diffId: string, mediaType: string): { digest: string; size: number } | undefined {
    return db.prepare(`SELECT remote_blob AS digest, size FROM layer_compressions WHERE diff_id = ? AND media_type = ?`).get(diffId, mediaType) as
      | { digest: string; size: number }
      | undefined;
  },
  put(db: DB, diffId: string, mediaType: string, digest: string, size: number): void {
    db.prepare(`INSERT OR REPLACE INTO layer_compressions (diff_id, media_type, remote_blob, size) VALUES (?, ?, ?, ?)`).run(diffId, mediaType, digest, size);
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
