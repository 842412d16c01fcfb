import type { DB } from '../db.js';

/**
 * The `repo_digests` table, the only SQL for it: what a registry calls an image we pulled or
 * pushed (docker's RepoDigests, name@digest), so name@digest resolves locally. Rows go with
 * their image (a foreign key) and name remote manifests, so `refs()` is empty.
 */
export const repoDigestsTable = {
  record(db: DB, reference: string, imageId: string): void {
    db.prepare(`INSERT OR REPLACE INTO repo_digests (reference, image_id) VALUES (?, ?)`).run(reference, imageId);
  },
  image(db: DB, reference: string): string | undefined {
    return (db.prepare(`SELECT image_id FROM repo_digests WHERE reference = ?`).get(reference) as { image_id: string } | undefined)?.image_id;
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
