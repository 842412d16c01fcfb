import type { ContainerRecord } from '../container/types.js';
import { LOCAL_DRIVER } from './local.js';
import { parseVolumeSpec } from './mount-spec.js';
import type { MountPoint } from './types.js';

/**
 * A container's mounts as create resolved them; containers made before volumes existed only
 * have binds, read from their HostConfig.
 */
export function mountPointsOf(rec: ContainerRecord): MountPoint[] {
  if (rec.spec.mounts) return rec.spec.mounts;
  return (rec.spec.hostConfig.Binds ?? []).map((b) => {
    const p = parseVolumeSpec(b);
    return { Type: 'bind', Source: p.source, Destination: p.destination, Mode: p.mode, RW: p.rw, Propagation: p.propagation, createSource: true } as MountPoint;
  });
}

/** `inspect .Mounts`: docker's MountPoint fields only. */
export function inspectMounts(rec: ContainerRecord): Record<string, unknown>[] {
  return mountPointsOf(rec).map((m) => ({
    Type: m.Type,
    ...(m.Type === 'volume' ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Type === 'volume' ? { Driver: m.Driver ?? LOCAL_DRIVER } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}
