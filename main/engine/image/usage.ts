import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageStore, ImageRecord } from './images.js';
import { humanAgo, humanDuration } from '../util/human.js';

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

interface ContainerRow { id: string; name: string; image_id: string; image_ref: string; created: string; state: string; spec: string; exit_code: number; started_at: string; finished_at: string }

function statusOf(c: ContainerRow): string {
  switch (c.state) {
    case 'running': return `Up ${humanDuration(Date.now() - new Date(c.started_at).getTime())}`;
    case 'paused': return `Up ${humanDuration(Date.now() - new Date(c.started_at).getTime())} (Paused)`;
    case 'exited': case 'exiting': return `Exited (${c.exit_code}) ${humanAgo(c.finished_at)}`;
    case 'created': return 'Created';
    default: return c.state.charAt(0).toUpperCase() + c.state.slice(1);
  }
}

/** The container's command as `ps` shows it: path + args from its spec. */
function commandOf(spec: string): string {
  try {
    const s = JSON.parse(spec) as { path?: string; args?: string[] };
    return [s.path ?? '', ...(s.args ?? [])].filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * `system df`: each layer counted once however many images share it; an image is active when
 * a container uses it; reclaimable = layers only inactive images use, and the writable layers
 * of containers that are not running.
 */
export function diskUsage(images: ImageStore): DiskUsage {
  const db = images.store.db;
  const all = images.list();
  const ctrs = db.prepare(`SELECT id, name, image_id, image_ref, created, state, spec, exit_code, started_at, finished_at FROM containers ORDER BY created DESC`).all() as ContainerRow[];
  const usedBy = new Map<string, number>();
  for (const c of ctrs) usedBy.set(c.image_id, (usedBy.get(c.image_id) ?? 0) + 1);
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
    imageRef: c.image_ref,
    command: commandOf(c.spec),
    created: c.created,
    state: c.state,
    status: statusOf(c),
    size: dirSize(join(images.store.paths.container(c.id), 'upper')),
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
