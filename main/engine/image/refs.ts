import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

/**
 * Who else holds on to content. Images hold blobs and snapshots through their own tables; other
 * subsystems (build cache: build_cache.blob_digest/chain_id; registry bookkeeping) keep
 * columns named *digest* and *chain_id*. Deleting or calling something an orphan must respect
 * both, without this module having to know every table: it reads the schema.
 */
const OWN_TABLES = new Set(['images', 'image_layers', 'layers', 'tags', 'lineage']);

function columns(store: Store, match: RegExp): [string, string][] {
  const db = store.db;
  const out: [string, string][] = [];
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
  for (const { name } of tables) {
    if (OWN_TABLES.has(name)) continue;
    for (const c of db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]) {
      if (match.test(c.name)) out.push([name, c.name]);
    }
  }
  return out;
}

function values(store: Store, cols: [string, string][]): Set<string> {
  const set = new Set<string>();
  for (const [t, c] of cols) {
    for (const r of store.db.prepare(`SELECT "${c}" AS v FROM "${t}" WHERE "${c}" IS NOT NULL`).all() as { v: unknown }[]) {
      if (typeof r.v === 'string' && r.v.startsWith('sha256:')) set.add(r.v);
    }
  }
  return set;
}

/** Blob digests other subsystems reference. */
export function foreignBlobRefs(store: Store): Set<string> {
  return values(store, columns(store, /digest/i));
}

/** Snapshot chainIDs other subsystems reference (their layers rows may be gone). */
export function foreignChainRefs(store: Store): Set<string> {
  return values(store, columns(store, /chain_id/i));
}

/** Is this blob used by any image row or by another subsystem? */
export function blobInUse(store: Store, digest: string, foreign?: Set<string>): boolean {
  const row = store.db
    .prepare(`SELECT 1 FROM images WHERE config_digest = @d OR manifest_digest = @d UNION ALL SELECT 1 FROM image_layers WHERE blob_digest = @d LIMIT 1`)
    .get({ d: digest });
  return !!row || (foreign ?? foreignBlobRefs(store)).has(digest);
}

/** Is this snapshot used by a layer row or by another subsystem? */
export function chainInUse(store: Store, chainId: string, foreign?: Set<string>): boolean {
  return !!store.db.prepare(`SELECT 1 FROM layers WHERE chain_id = ?`).get(chainId) || (foreign ?? foreignChainRefs(store)).has(chainId);
}

/**
 * For any operation that writes blobs or snapshots before the rows that reference them exist
 * (load, import, commit, build, pull): while the returned release function has not been
 * called (and this process lives), `system check --repair` keeps unreferenced content.
 * The marker is tmp/op-<pid>-<random>; a dead process's marker is just a temp file.
 */
export function holdContent(store: Store): () => void {
  const marker = join(store.paths.tmp, `op-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(marker, '');
  return () => rmSync(marker, { force: true });
}
