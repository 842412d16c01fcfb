import type { DB } from '../db.js';

/**
 * The `build_cache_mounts` table: one row per directory that a `RUN --mount=type=cache` keeps
 * under StorePaths.cacheMounts. The only SQL for it. The directories are not store content
 * (no blobs, no snapshots), so `refs()` is empty.
 */
export interface CacheMountRow {
  /** the directory's name under cache-mounts/ */
  dir: string;
  /** the mount's id, namespaced as BuildKit does (BUILDKIT_CACHE_MOUNT_NS/id) */
  cacheId: string;
  /** 0, or n for the nth copy that `sharing=private` made while another build held the first */
  instance: number;
  /** ms since epoch */
  created: number;
  usedAt: number;
  uses: number;
}

interface Raw {
  dir: string;
  cache_id: string;
  instance: number;
  created: number;
  used_at: number;
  uses: number;
}

const row = (r: Raw): CacheMountRow => ({ dir: r.dir, cacheId: r.cache_id, instance: r.instance, created: r.created, usedAt: r.used_at, uses: r.uses });

export const buildCacheMountsTable = {
  get(db: DB, dir: string): CacheMountRow | undefined {
    const r = db.prepare(`SELECT * FROM build_cache_mounts WHERE dir = ?`).get(dir) as Raw | undefined;
    return r && row(r);
  },
  /** Record a use (a new row the first time). */
  touch(db: DB, r: Pick<CacheMountRow, 'dir' | 'cacheId' | 'instance'>, now = Date.now()): void {
    db.prepare(
      `INSERT INTO build_cache_mounts (dir, cache_id, instance, created, used_at, uses) VALUES (?, ?, ?, ?, ?, 1)
       ON CONFLICT(dir) DO UPDATE SET used_at = excluded.used_at, uses = uses + 1`,
    ).run(r.dir, r.cacheId, r.instance, now, now);
  },
  all(db: DB): CacheMountRow[] {
    return (db.prepare(`SELECT * FROM build_cache_mounts ORDER BY used_at DESC`).all() as Raw[]).map(row);
  },
  remove(db: DB, dir: string): void {
    db.prepare(`DELETE FROM build_cache_mounts WHERE dir = ?`).run(dir);
  },
  /** Nothing here keeps blobs or snapshots alive. */
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
