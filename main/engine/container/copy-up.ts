import type { Engine } from '../engine.js';
import { LayerView } from '../builder/fsview.js';
import { InvalidArgumentError } from '../model/errors.js';
import { scopedPath } from '../runtime/rootfs-path.js';
import { copyUp } from '../volume/copy-up.js';
import { mountVolume, needsMount, unmountVolume } from '../volume/local.js';
import type { MountPoint } from '../volume/types.js';
import { mountRootfs, unmountRootfs } from './bundle.js';
import type { ContainerRecord } from './types.js';

/**
 * docker's populateVolumes, at create: a volume that is empty gets what the image holds at
 * its mount point (owners, modes, xattrs kept), once; a volume that already has files, a
 * --volumes-from copy, volume-nocopy and binds never do. The image is read through its layer
 * snapshots first, so the rootfs is mounted only when there is something to copy.
 */
export async function copyUpVolumes(engine: Engine, rec: ContainerRecord, mounts: MountPoint[]): Promise<void> {
  const img = engine.images.get(rec.imageId);
  if (!img) return;
  const view = new LayerView(img.layers.map((l) => engine.images.snapshots.path(l.chainId)));
  const imageVolumes = new Set(Object.keys(rec.spec.config.Volumes ?? {}));
  const todo = mounts.filter((m) => {
    const e = view.stat(m.Destination);
    if (!e) return false;
    if (!e.stat.isDirectory()) {
      if (m.anonymous && imageVolumes.has(m.Destination)) throw new InvalidArgumentError(`cannot mount volume over existing file, file exists ${m.Destination}`);
      return false;
    }
    return engine.volumes.isEmpty(m.Name!);
  });
  if (!todo.length) return;
  const root = engine.store.paths.volumes;
  const m = await mountRootfs(engine, rec);
  try {
    for (const mp of todo) {
      const opts = engine.volumes.optionsOf(mp.Name!);
      const mounted = needsMount(opts);
      if (mounted) mountVolume(root, mp.Name!, opts!);
      try {
        copyUp(scopedPath(m.target, mp.Destination), mp.Source);
      } finally {
        // as docker: the volume is mounted for the copy and unmounted after (a tmpfs volume keeps nothing)
        if (mounted && !engine.containers.records().some((c) => (c.state === 'running' || c.state === 'paused') && c.spec.mounts?.some((x) => x.Name === mp.Name))) unmountVolume(root, mp.Name!);
      }
    }
  } finally {
    await unmountRootfs(engine, rec);
  }
}
