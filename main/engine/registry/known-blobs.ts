import type { Store } from '../store/store.js';

/**
 * What we learned about remote blobs: where a blob is known to live (mount sources for a
 * push to another repository of the same registry), and which gzip blob we made for a layer
 * we keep uncompressed. Hints only: every use is checked against the registry.
 */
export class KnownBlobs {
  constructor(private readonly store: Store) {}

  record(registry: string, repository: string, digests: string[]): void {
    const db = this.store.db;
    const now = Date.now();
    const stmt = db.prepare(`INSERT OR REPLACE INTO registry_blobs (registry, repository, remote_blob, seen_at) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      for (const d of digests) stmt.run(registry, repository, d, now);
    }).immediate();
  }

  /** Other repositories on this registry that held the blob, most recent first. */
  mountSources(registry: string, repository: string, digest: string): string[] {
    const rows = this.store.db
      .prepare(`SELECT repository FROM registry_blobs WHERE registry = ? AND remote_blob = ? AND repository <> ? ORDER BY seen_at DESC LIMIT 3`)
      .all(registry, digest, repository) as { repository: string }[];
    return rows.map((r) => r.repository);
  }

  compressed(diffId: string, mediaType: string): { digest: string; size: number } | undefined {
    return this.store.db
      .prepare(`SELECT remote_blob AS digest, size FROM layer_compressions WHERE diff_id = ? AND media_type = ?`)
      .get(diffId, mediaType) as { digest: string; size: number } | undefined;
  }

  recordCompressed(diffId: string, mediaType: string, digest: string, size: number): void {
    this.store.db
      .prepare(`INSERT OR REPLACE INTO layer_compressions (diff_id, media_type, remote_blob, size) VALUES (?, ?, ?, ?)`)
      .run(diffId, mediaType, digest, size);
  }

  /** A layer of a pull that has not finished yet: blob and snapshot are whole; keep them. */
  recordPartial(blobDigest: string, chainId: string, reference: string): void {
    this.store.db
      .prepare(`INSERT OR REPLACE INTO pull_partials (blob_digest, chain_id, reference, added_at) VALUES (?, ?, ?, ?)`)
      .run(blobDigest, chainId, reference, Date.now());
  }

  /** The pull finished (its image rows now hold the layers), or gave up long ago. */
  clearPartials(chainIds: string[], olderThanMs = 7 * 24 * 3600_000): void {
    const db = this.store.db;
    db.transaction(() => {
      for (const c of chainIds) db.prepare(`DELETE FROM pull_partials WHERE chain_id = ?`).run(c);
      db.prepare(`DELETE FROM pull_partials WHERE added_at < ?`).run(Date.now() - olderThanMs);
    }).immediate();
  }

  /** name@digest as the registry knows the image (RepoDigests). */
  recordRepoDigest(repository: string, digest: string, imageId: string): void {
    this.store.db.prepare(`INSERT OR REPLACE INTO repo_digests (reference, image_id) VALUES (?, ?)`).run(`${repository}@${digest}`, imageId);
  }

  imageByRepoDigest(repository: string, digest: string): string | undefined {
    const row = this.store.db.prepare(`SELECT image_id FROM repo_digests WHERE reference = ?`).get(`${repository}@${digest}`) as { image_id: string } | undefined;
    return row?.image_id;
  }
}
