import { imagesTable } from '../store/tables/images.js';
import { containersTable } from '../store/tables/containers.js';
import { lineageTable } from '../store/tables/lineage.js';
import type { ImageStore, ImageRecord } from './images.js';
import { ConflictError } from '../model/errors.js';
import { familiarName, normalizeTagged } from './reference.js';
import { shortId } from '../util/ids.js';
import { blobInUse, foreignBlobRefs, foreignChainRefs } from './refs.js';

/** One line of docker's rmi/prune report. */
export type RemoveEvent = { kind: 'Untagged'; name: string } | { kind: 'Deleted'; id: string };

export interface RemoveResult {
  events: RemoveEvent[];
  /** uncompressed bytes of the layers (snapshots) that went away */
  reclaimed: number;
}

function containersUsing(images: ImageStore, imageId: string) {
  return containersTable.usingImage(images.store.db, imageId);
}

/** Did the user name the image by a tag (busybox, busybox:1) rather than by ID? */
function tagNamed(img: ImageRecord, ref: string): string | undefined {
  const hex = ref.replace(/^sha256:/, '');
  if (/^[a-f0-9]{4,64}$/.test(hex) && img.id.startsWith(`sha256:${hex}`)) return undefined;
  try {
    const n = normalizeTagged(ref);
    return img.tags.includes(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `rmi` with docker's rules: a tag of an image with other tags is only untagged; the last tag
 * deletes the image; by ID, an image with several tags needs -f; an image a container uses is
 * refused (-f only untags it, since the container still stands on its layers).
 */
export function removeImage(images: ImageStore, ref: string, force = false): RemoveResult {
  const img = images.resolve(ref);
  const users = containersUsing(images, img.id);
  const tag = tagNamed(img, ref);
  const running = users.find((c) => c.state === 'running' || c.state === 'paused');
  if (tag) {
    if (img.tags.length > 1) return untag(images, img, [tag]);
    if (users.length > 0) {
      const c = running ?? users[0]!;
      if (!force) {
        throw new ConflictError(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(c.id)} is using its referenced image ${shortId(img.id)}`);
      }
      // Forced: the name goes, the image stays (dangling) while a container stands on it.
      return untag(images, img, [tag]);
    }
    return deleteImage(images, img);
  }
  if (running) {
    throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${shortId(running.id)}`);
  }
  if (users.length > 0) {
    if (!force) throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${shortId(users[0]!.id)}`);
    // A stopped container still needs the image's layers: untag only, as docker leaves it dangling.
    return untag(images, img, img.tags);
  }
  if (img.tags.length > 1 && !force) {
    throw new ConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
  }
  return deleteImage(images, img);
}

function untag(images: ImageStore, img: ImageRecord, names: string[]): RemoveResult {
  const db = images.store.db;
  const tx = db.transaction(() => {
    for (const n of names) {
      imagesTable.removeTag(db, n, img.id);
      images.store.emit('image', 'untag', img.id, { name: n });
    }
  });
  tx.immediate();
  images.store.syncOciIndex();
  return { events: names.map((n) => ({ kind: 'Untagged', name: familiarName(n) })), reclaimed: 0 };
}

/**
 * Delete an image: its rows in one transaction (so no row ever points at missing content),
 * then index.json, then the files nobody else uses. A crash after the transaction leaves only
 * unreferenced blobs/snapshots, which `system check --repair` removes.
 */
export function deleteImage(images: ImageStore, img: ImageRecord): RemoveResult {
  const store = images.store;
  const db = store.db;
  const goneChains: { chain_id: string; size: number }[] = [];
  const tx = db.transaction(() => {
    lineageTable.remove(db, img.id);
    for (const o of imagesTable.remove(db, img.id)) goneChains.push({ chain_id: o.chainId, size: o.size });
    store.emit('image', 'delete', img.id, { name: img.tags[0] ?? '' });
  });
  tx.immediate();
  store.syncOciIndex();
  const fb = foreignBlobRefs(store);
  const fc = foreignChainRefs(store);
  for (const d of new Set([img.configDigest, img.manifestDigest, ...img.layers.map((l) => l.blobDigest)])) {
    if (!blobInUse(store, d, fb)) store.blobs.delete(d);
  }
  let reclaimed = 0;
  for (const c of goneChains) {
    // The build cache may still stand on this snapshot: then it stays (builder prune frees it).
    if (fc.has(c.chain_id)) continue;
    images.snapshots.remove(c.chain_id);
    reclaimed += c.size;
  }
  const events: RemoveEvent[] = img.tags.map((n) => ({ kind: 'Untagged', name: familiarName(n) }));
  events.push({ kind: 'Deleted', id: img.id });
  for (const c of goneChains) events.push({ kind: 'Deleted', id: c.chain_id });
  return { events, reclaimed };
}
