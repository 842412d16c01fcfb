import type { DB } from '../db.js';

/**
 * The `registry_blobs` table, the only SQL for it: which repositories of which registry were
 * seen holding a blob (cross-repository mount sources on push). It names remote blobs, not
 * local content, so `refs()` is empty.
 */
export const registryBlobsTable = {
  record(db: DB, registry: string, repository: string, digests: string[]): void {
    const now = Date.now();
    const stmt = db.prepare(`INSERT OR REPLACE INTO registry_blobs (registry, repository, remote_blob, seen_at) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      for (const d of digests) stmt.run(registry, repository, d, now);
    }).immediate();
  },
  /** Other repositories on this registry that held the blob, most recent first. */
  otherRepositories(db: DB, registry: string, repository: string, digest: string, limit = 3): string[] {
    const rows = db
      .prepare(`SELECT repository FROM registry_blobs WHERE registry = ? AND remote_blob = ? AND repository <> ? ORDER BY seen_at DESC LIMIT ?`)
      .all(registry, digest, repository, limit) as { repository: string }[];
    return rows.map((r) => r.repository);
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
