import type { DB } from '../db.js';

/**
 * The `build_parse_cache` table, the only SQL for it: parsed Dockerfiles by the digest of their
 * text, so a cached rebuild need not load the parser. Plain data, no store content.
 */
export const buildParseCacheTable = {
  get(db: DB, key: string): string | undefined {
    return (db.prepare(`SELECT model FROM build_parse_cache WHERE key = ?`).get(key) as { model: string } | undefined)?.model;
  },
  put(db: DB, key: string, model: string): void {
    db.prepare(`INSERT OR REPLACE INTO build_parse_cache (key, model, used_at) VALUES (?, ?, ?)`).run(key, model, Date.now());
  },
  refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  },
};
