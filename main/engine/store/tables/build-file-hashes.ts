import { createReadStream, readFileSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import type { DB } from '../db.js';
import { trace } from '../../util/trace.js';

/**
 * The `build_file_hashes` table, the only SQL for it: content digests of context files, keyed by their stat (size, mtime, mode, inode, owner) so
 * an unchanged file is never re-read, as BuildKit does. Writes are batched per build.
 */
export class FileHashCache {
  private readonly pending = new Map<string, [string, string]>();
  private readonly known = new Map<string, [string, string]>();
  private readonly loaded = new Set<string>();
  private later: string | undefined;
  constructor(private readonly db: DB) {}

  static statKey(st: Stats): string {
    return `${st.size}:${st.mtimeMs}:${st.mode}:${st.ino}:${st.uid}:${st.gid}`;
  }

  /** One query for every hash under a directory (the context), instead of one per file. */
  preload(dir: string): void {
    if (this.loaded.has(dir)) return;
    this.loaded.add(dir);
    // rows as arrays: no object per row for the thousands a context can have
    const rows = this.db
      .prepare(`SELECT path, stat_key, content_sha FROM build_file_hashes WHERE path >= ? AND path < ?`)
      .raw(true)
      .all(`${dir}/`, `${dir}0`) as [string, string, string][];
    for (const [path, statKey, digest] of rows) this.known.set(path, [statKey, digest]);
  }

  /** Preload `dir` when a digest is first needed: a build that finds every COPY remembered needs none. */
  preloadLater(dir: string): void {
    this.later = dir;
  }

  private ensureLoaded(): void {
    if (this.later === undefined) return;
    const dir = this.later;
    this.later = undefined;
    trace("build: the context's file hashes (one SELECT)", () => this.preload(dir));
  }

  /**
   * A digest remembered under `key` (not a path: "copy-sources:..."), valid while `statKey`
   * (the caller's summary of every stat it depends on) is the same.
   */
  remembered(key: string, statKey: string): string | undefined {
    if (this.pending.has(key)) {
      const [sk, d] = this.pending.get(key)!;
      return sk === statKey ? d : undefined;
    }
    const row = this.db.prepare(`SELECT stat_key, content_sha FROM build_file_hashes WHERE path = ?`).raw(true).get(key) as [string, string] | undefined;
    return row && row[0] === statKey ? row[1] : undefined;
  }

  remember(key: string, statKey: string, digest: string): void {
    this.pending.set(key, [statKey, digest]);
  }

  /** The digest if the file is unchanged since it was last hashed (no read). */
  cached(abs: string, st: Stats): string | undefined {
    this.ensureLoaded();
    const k = this.known.get(abs);
    return k && k[0] === FileHashCache.statKey(st) ? k[1] : undefined;
  }

  async digest(abs: string, st: Stats): Promise<string> {
    this.ensureLoaded();
    const hit = this.cached(abs, st);
    if (hit) return hit;
    const sk = FileHashCache.statKey(st);
    if (!this.loaded.size) {
      const row = this.db.prepare(`SELECT stat_key, content_sha AS digest FROM build_file_hashes WHERE path = ?`).get(abs) as { stat_key: string; digest: string } | undefined;
      if (row && row.stat_key === sk) return row.digest;
    }
    const h = createHash('sha256');
    if (st.size < 1 << 20) h.update(readFileSync(abs));
    else for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
    const d = `sha256:${h.digest('hex')}`;
    this.pending.set(abs, [sk, d]);
    this.known.set(abs, [sk, d]);
    return d;
  }

  /** builder prune: every remembered hash goes. */
  static clear(db: DB): number {
    return db.prepare(`DELETE FROM build_file_hashes`).run().changes;
  }

  /** Hashes of context files are not store content. */
  static refs(): { blobs: string[]; chainIds: string[] } {
    return { blobs: [], chainIds: [] };
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const ins = this.db.prepare(`INSERT OR REPLACE INTO build_file_hashes (path, stat_key, content_sha) VALUES (?, ?, ?)`);
    this.db.transaction(() => {
      for (const [p, [sk, d]] of this.pending) ins.run(p, sk, d);
    })();
    this.pending.clear();
  }
}
