/**
 * docker's shapes for volumes and the mounts of a container (moby api/types/volume and
 * api/types/mount), as the CLI, the app and the Engine API exchange them.
 */

/** docker's Volume: what `volume inspect` prints and GET /volumes/{name} returns. */
export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  /** only from `system df -v` / GET /system/df: bytes under the mountpoint and how many containers use it */
  UsageData?: { Size: number; RefCount: number } | null;
}

/** docker's VolumeCreateBody (POST /volumes/create; `volume create` sends the same). */
export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** docker's VolumeListResponse (GET /volumes). */
export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[] | null;
}

/** docker's VolumesPruneReport (POST /volumes/prune). */
export interface VolumePruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/**
 * One mount of a container as create resolved it (docker's container.MountPoints): stored in
 * the container's spec, the one record of which volumes a container uses. The first fields
 * are the ones `inspect .Mounts` shows.
 */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** the volume's name (volumes only) */
  Name?: string;
  /** the host path mounted: a bind's source, a volume's _data ('' for tmpfs) */
  Source: string;
  Destination: string;
  Driver?: string;
  /** the mode part of `-v` (after the second colon), or "z" for local volumes as docker sets it */
  Mode: string;
  RW: boolean;
  Propagation: string;
  // --- not shown by inspect ---
  /** a volume made for this container (`-v /path`, VOLUME, --mount without a source): `rm -v` removes it */
  anonymous?: boolean;
  /** a bind made by -v: a missing host directory is created at start (--mount refuses instead) */
  createSource?: boolean;
  /** bind-recursive=disabled: "bind" instead of "rbind" */
  nonRecursive?: boolean;
  /** tmpfs: the mount data docker would pass (size=..., mode=...) */
  tmpfsData?: string;
  /** a volume-subpath: the source is this directory inside the volume */
  subpath?: string;
  /** copied from another container by --volumes-from (the container's id) */
  from?: string;
}
