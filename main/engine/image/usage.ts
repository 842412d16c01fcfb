import { containersTable } from '../store/tables/containers.js';
import { commandLine, displayState, statusText } from '../views/containers.js';
import { lstatSync, readdirSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore, ImageRecord } from './images.js';

/** Bytes a directory tree takes (file sizes, not blocks; symlinks count their own size). */
export function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else total += st.size;
    }
  };
  walk(dir);
  return total;
}

/**
 * dirSize without blocking the event loop: for the app's main process, where a walk of a big
 * volume would freeze every window's requests (and the event feed) until it ends. Directories
 * are read one level at a time, each level's entries stat'ed together.
 */
export async function dirSizeAsync(dir: string): Promise<number> {
  let total = 0;
  let level = [dir];
  while (level.length) {
    const next: string[] = [];
    for (const d of level) {
      const names = await readdir(d).catch(() => [] as string[]);
      const stats = await Promise.all(names.map((n) => lstat(join(d, n)).then((st) => ({ p: join(d, n), st }), () => undefined)));
      for (const x of stats) {
        if (!x) continue;
        if (x.st.isDirectory()) next.push(x.p);
        else total += x.st.size;
      }
    }
    level = next;
  }
  return total;
}

export interface ImageUsage {
  image: ImageRecord;
  /** bytes of its layers that other images also use */
  sharedSize: number;
  uniqueSize: number;
  containers: number;
}

export interface ContainerUsage {
  id: string;
  name: string;
  imageRef: string;
  command: string;
  created: string;
  state: string;
  /** docker's STATUS column: Up 3 minutes, Exited (0) 2 seconds ago, Created */
  status: string;
  /** bytes in its writable layer */
  size: number;
  /** how many local volumes it mounts (docker's LOCAL VOLUMES column) */
  localVolumes: number;
}

export interface DiskUsage {
  images: ImageUsage[];
  imagesSize: number;
  imagesActive: number;
  imagesReclaimable: number;
  containers: ContainerUsage[];
  containersSize: number;
  containersActive: number;
  containersReclaimable: number;
}

function localVolumesOf(spec: { mounts?: { Type: string; Driver?: string }[] }): number {
  return (spec.mounts ?? []).filter((m) => m.Type === 'volume' && m.Driver === 'local').length;
}

/**
 * `system df`: each layer counted once however many images share it; an image is active when
 * a container uses it; reclaimable = layers only inactive images use, and the writable layers
 * of containers that are not running.
 */
export function diskUsage(images: ImageStore): DiskUsage {
  const db = images.store.db;
  const all = images.list();
  const ctrs = containersTable.all(db);
  const usedBy = new Map<string, number>();
  for (const c of ctrs) usedBy.set(c.imageId, (usedBy.get(c.imageId) ?? 0) + 1);
  const layerImages = new Map<string, number>();
  const layerSize = new Map<string, number>();
  for (const img of all) {
    for (const l of new Set(img.layers.map((x) => x.chainId))) layerImages.set(l, (layerImages.get(l) ?? 0) + 1);
    for (const l of img.layers) layerSize.set(l.chainId, l.size);
  }
  const activeLayers = new Set<string>();
  for (const img of all) if (usedBy.has(img.id)) for (const l of img.layers) activeLayers.add(l.chainId);
  let imagesSize = 0;
  let imagesReclaimable = 0;
  for (const [chain, size] of layerSize) {
    imagesSize += size;
    if (!activeLayers.has(chain)) imagesReclaimable += size;
  }
  const imgs: ImageUsage[] = all.map((image) => {
    let shared = 0;
    for (const l of image.layers) if ((layerImages.get(l.chainId) ?? 0) > 1) shared += l.size;
    return { image, sharedSize: shared, uniqueSize: image.size - shared, containers: usedBy.get(image.id) ?? 0 };
  });
  const containers: ContainerUsage[] = ctrs.map((c) => ({
    id: c.id,
    name: c.name,
    imageRef: c.imageRef,
    command: commandLine(c),
    created: c.created,
    state: displayState(c),
    status: statusText(c),
    size: dirSize(join(images.store.paths.container(c.id), 'upper')),
    localVolumes: localVolumesOf(c.spec),
  }));
  const running = (s: string): boolean => s === 'running' || s === 'paused';
  return {
    images: imgs,
    imagesSize,
    imagesActive: imgs.filter((i) => i.containers > 0).length,
    imagesReclaimable,
    containers,
    containersSize: containers.reduce((a, c) => a + c.size, 0),
    containersActive: containers.filter((c) => running(c.state)).length,
    containersReclaimable: containers.filter((c) => !running(c.state)).reduce((a, c) => a + c.size, 0),
  };
}
