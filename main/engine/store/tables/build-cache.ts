import type { DB } from '../db.js';
import type { NewLayer } from '../../image/images.js';
import { FileHashCache } from './build-file-hashes.js';

/**
 * The `build_cache` table, the only SQL for it: the build step cache (survives restarts). A step's key chains its parent's key with
 * the expanded instruction and its inputs, so a change invalidates that step and every later
 * one, never earlier ones. A miss is explained by comparing with what the cache holds for the
 * same parent.
 */
export interface CacheRow {
  key: string;
  parent_key: string;
  instruction: string;
  inputs: string;
  sources: string | null;
  created: string;
  diff_id: string | null;
  blob_digest: string | null;
  media_type: string | null;
  blob_size: number | null;
  size: number | null;
  chain_id: string | null;
}

export class BuildCache {
  constructor(private readonly db: DB) {}

  get(key: string): CacheRow | undefined {
    return this.db.prepare(`SELECT * FROM build_cache WHERE key = ?`).get(key) as CacheRow | undefined;
  }

  touch(key: string): void {
    this.db.prepare(`UPDATE build_cache SET used_at = ? WHERE key = ?`).run(Date.now(), key);
  }

  put(row: { key: string; parentKey: string; instruction: string; inputs: string; sources?: Record<string, string>; created: string; layer?: NewLayer; chainId?: string }): void {
    const l = row.layer;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO build_cache (key, parent_key, instruction, inputs, sources, created, diff_id, blob_digest, media_type, blob_size, size, chain_id, used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.key, row.parentKey, row.instruction, row.inputs, row.sources ? JSON.stringify(row.sources) : null, row.created,
        l?.diffId ?? null, l?.blobDigest ?? null, l?.mediaType ?? null, l?.blobSize ?? null, l?.size ?? null, row.chainId ?? null, Date.now());
  }

  hasChildren(parentKey: string): boolean {
    return !!this.db.prepare(`SELECT 1 FROM build_cache WHERE parent_key = ? LIMIT 1`).get(parentKey);
  }

  /** Why is there no entry for this step? Compared with siblings under the same parent. */
  explainMiss(parentKey: string, keyword: string, instruction: string, sources?: Record<string, string>): string {
    const siblings = this.db.prepare(`SELECT instruction, inputs, sources FROM build_cache WHERE parent_key = ? ORDER BY used_at DESC`).all(parentKey) as Pick<CacheRow, 'instruction' | 'inputs' | 'sources'>[];
    if (siblings.length === 0) return 'no cache for parent (an earlier step changed, or first build)';
    const same = siblings.find((s) => s.instruction === instruction);
    if (!same) return 'instruction changed';
    if (sources && same.sources) {
      const old = JSON.parse(same.sources) as Record<string, string>;
      for (const [p, d] of Object.entries(sources)) {
        if (!(p in old)) return `${keyword} source ${p} added`;
        if (old[p] !== d) return `${keyword} source ${p} changed`;
      }
      for (const p of Object.keys(old)) if (!(p in sources)) return `${keyword} source ${p} removed`;
    }
    return keyword === 'RUN' ? 'build arguments or environment changed' : 'inputs changed';
  }

  prune(): { steps: number; files: number } {
    const steps = this.db.prepare(`DELETE FROM build_cache`).run().changes;
    return { steps, files: FileHashCache.clear(this.db) };
  }

  /** The blobs and snapshots cached steps keep alive (gc and `system check` ask every table). */
  static refs(db: DB): { blobs: string[]; chainIds: string[] } {
    const rows = db.prepare(`SELECT blob_digest, chain_id FROM build_cache WHERE blob_digest IS NOT NULL OR chain_id IS NOT NULL`).all() as { blob_digest: string | null; chain_id: string | null }[];
    return { blobs: rows.flatMap((r) => (r.blob_digest ? [r.blob_digest] : [])), chainIds: rows.flatMap((r) => (r.chain_id ? [r.chain_id] : [])) };
  }

  /**
   * One row per layer the cache holds (BuildKit's "regular" records): its size, when it was
   * first made and last used, how many steps stand on it, and whether an image uses it too.
   */
  layerRecords(): { chainId: string; blobDigest: string; size: number; created: number; usedAt: number; steps: number; instruction: string; shared: boolean }[] {
    const rows = this.db
      .prepare(
        `SELECT c.chain_id AS chainId, MIN(c.blob_digest) AS blobDigest, MAX(c.size) AS size, MIN(c.used_at) AS created, MAX(c.used_at) AS usedAt,
                COUNT(*) AS steps, MIN(c.instruction) AS instruction,
                EXISTS (SELECT 1 FROM layers l WHERE l.chain_id = c.chain_id) AS shared
           FROM build_cache c WHERE c.chain_id IS NOT NULL GROUP BY c.chain_id ORDER BY usedAt DESC`,
      )
      .all() as { chainId: string; blobDigest: string; size: number; created: number; usedAt: number; steps: number; instruction: string; shared: number }[];
    return rows.map((r) => ({ ...r, shared: !!r.shared }));
  }

  /** Forget the steps whose layer is one of these. */
  removeLayers(chainIds: string[]): number {
    const del = this.db.prepare(`DELETE FROM build_cache WHERE chain_id = ?`);
    let n = 0;
    this.db.transaction(() => {
      for (const c of chainIds) n += del.run(c).changes;
    })();
    return n;
  }
}
