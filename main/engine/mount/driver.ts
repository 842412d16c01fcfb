/** How a container's rootfs is put together from read-only layer snapshots + one upper dir. */
export type DriverName = 'overlay' | 'fuse-overlayfs' | 'copy';

export interface LayerMount {
  /** snapshot dirs, bottom (base layer) first */
  lowers: string[];
  upper: string;
  work: string;
  /** the rootfs mount point */
  target: string;
  /** a scratch dir of short symlinks to the lowers, so 100+ layers fit one mount option page */
  linkDir: string;
}

export interface MountDriver {
  readonly name: DriverName;
  mount(m: LayerMount): Promise<void>;
  unmount(target: string): Promise<void>;
  /** The dir whose contents are the container's changes (docker diff, commit). */
  changesDir(m: LayerMount): string;
  /** The dirs whose merged view is the container's filesystem, top first (docker export). */
  mergedLayers(m: LayerMount): string[];
}
