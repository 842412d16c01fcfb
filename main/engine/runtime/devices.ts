import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../model/errors.js';
import { major, minor } from '../util/devno.js';

/** docker's DeviceMapping (HostConfig.Devices). */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** One device node for config.json (linux.devices) and its cgroup rule (resources.devices). */
export interface SpecDevice {
  node: { path: string; type: 'c' | 'b'; major: number; minor: number; fileMode: number; uid: number; gid: number };
  rule: { allow: true; type: 'c' | 'b'; major: number; minor: number; access: string };
}

export function validDeviceMode(mode: string): boolean {
  return mode.length > 0 && mode.length <= 3 && [...mode].every((c, i, a) => 'rwm'.includes(c) && a.indexOf(c) === i);
}

/** `--device HOST[:CONTAINER][:PERMISSIONS]` as docker's CLI splits it. */
export function parseDevice(v: string): DeviceMapping {
  const arr = v.split(':');
  let src = arr[0]!;
  let dst = '';
  let perms = 'rwm';
  if (arr.length === 3) {
    dst = arr[1]!;
    perms = arr[2]!;
    if (!validDeviceMode(perms)) throw new InvalidArgumentError(`bad mode specified: ${perms}`);
  } else if (arr.length === 2) {
    if (validDeviceMode(arr[1]!)) perms = arr[1]!;
    else dst = arr[1]!;
  } else if (arr.length !== 1 || !src) throw new InvalidArgumentError(`invalid device specification: ${v}`);
  if (!dst) dst = src;
  if (!src.startsWith('/') || !dst.startsWith('/')) throw new InvalidArgumentError(`invalid device specification: ${v}: paths must be absolute`);
  src = src.replace(/\/+$/, '') || '/';
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

function specDevice(path: string, st: Stats, access: string): SpecDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  const node = { path, type, major: major(st.rdev), minor: minor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid } as const;
  return { node, rule: { allow: true, type, major: node.major, minor: node.minor, access } };
}

/** Dirs under /dev that are not devices of the host to hand over (docker's GetDevices skips them). */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

function walkDevices(hostDir: string, ctrDir: string, access: string, out: SpecDevice[]): void {
  let names: string[];
  try {
    names = readdirSync(hostDir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(hostDir, n);
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(n)) walkDevices(p, join(ctrDir, n), access, out);
      continue;
    }
    if (n === 'console') continue; // runc makes the container's own
    const d = specDevice(join(ctrDir, n), st, access);
    if (d) out.push(d);
  }
}

/**
 * --device: the host node's type and numbers, at its path in the container; a directory
 * brings every device under it. Docker's words when the host path is not there.
 */
export function resolveDevices(list: DeviceMapping[] | null | undefined): SpecDevice[] {
  const out: SpecDevice[] = [];
  for (const d of list ?? []) {
    if (!validDeviceMode(d.CgroupPermissions || 'rwm')) throw new InvalidArgumentError(`bad mode specified: ${d.CgroupPermissions}`);
    let st: Stats;
    try {
      st = statSync(d.PathOnHost);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
      throw new InvalidArgumentError(`error gathering device information while adding custom device "${d.PathOnHost}": ${why}`);
    }
    if (st.isDirectory()) walkDevices(d.PathOnHost, d.PathInContainer, d.CgroupPermissions || 'rwm', out);
    else {
      const dev = specDevice(d.PathInContainer, st, d.CgroupPermissions || 'rwm');
      if (!dev) throw new InvalidArgumentError(`error gathering device information while adding custom device "${d.PathOnHost}": not a device node`);
      out.push(dev);
    }
  }
  return out;
}

/** --privileged: every device node of the host's /dev. */
export function hostDevices(): SpecDevice[] {
  const out: SpecDevice[] = [];
  walkDevices('/dev', '/dev', 'rwm', out);
  return out;
}
