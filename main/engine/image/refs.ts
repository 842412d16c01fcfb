import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { foreignRefs } from '../store/tables/index.js';
import { imagesTable } from '../store/tables/images.js';

/** Blob digests other subsystems reference (their tables' owners say which: store/tables/index.ts). */
export function foreignBlobRefs(store: Store): Set<string> {
  return foreignRefs(store.db).blobs;
}

/** Snapshot chainIDs other subsystems reference (their layers rows may be gone). */
export function foreignChainRefs(store: Store): Set<string> {
  return foreignRefs(store.db).chainIds;
}

/** Is this blob used by any image row or by another subsystem? */
export function blobInUse(store: Store, digest: string, foreign?: Set<string>): boolean {
  return imagesTable.holdsBlob(store.db, digest) || (foreign ?? foreignBlobRefs(store)).has(digest);
}

/** Is this snapshot used by a layer row or by another subsystem? */
export function chainInUse(store: Store, chainId: string, foreign?: Set<string>): boolean {
  return imagesTable.hasLayer(store.db, chainId) || (foreign ?? foreignChainRefs(store)).has(chainId);
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
