import type { DB } from '../db.js';

/**
 * The `pull_partials` table, the only SQL for it: the finished layers of a pull that has not
 * finished (or failed), kept so a retry resumes. These rows do hold local content: their
 * blobs and snapshots must survive `system check --repair` and gc until the pull's image rows
 * hold them (`refs()`).
 */
export const pullPartialsTable = {
  record(db: DB, blobDigest: string, chainId: string, reference: string): void {
    db.prepare(`INSERT OR REPLACE INTO pull_partials (blob_digest, chain_id, reference, added_at) VALUES (?, ?, ?, ?)`).run(blobDigest, chainId, reference, Date.now());
  },
  /** The pull finished (its image rows now hold the layers), or gave up long ago. */
  clear(db: DB, chainIds: string[], olderThanMs = 7 * 24 * 3600_000): void {
    db.transaction(() => {
      for (const c of chainIds) db.prepare(`DELETE FROM pull_partials WHERE chain_id = ?`).run(c);
      db.prepare(`DELETE FROM pull_partials WHERE added_at < ?`).run(Date.now() - olderThanMs);
    }).immediate();
  },
  refs(db: DB): { blobs: string[]; chainIds: string[] } {
    const rows = db.prepare(`SELECT blob_digest, chain_id FROM pull_partials`).all() as { blob_digest: string; chain_id: string }[];
    return { blobs: rows.map((r) => r.blob_digest), chainIds: rows.map((r) => r.chain_id) };
  },
};
