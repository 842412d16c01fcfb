import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, EngineError, ErrorCode } from '../model/errors.js';
import { isMountPoint } from '../mount/mountinfo.js';
import { unmountPath } from '../mount/unmount.js';
import { errnoCode, mount, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC } from '../util/native.js';

/**
 * docker's "local" volume driver (moby daemon/volume/local): a directory
 * `<root>/volumes/<name>/_data`, or, with options, a filesystem mounted there while a
 * container uses it (`type=tmpfs device=tmpfs o=size=64m`, `type=none o=bind device=/path`).
 */

export const LOCAL_DRIVER = 'local';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
const REQUIRED: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

/** docker's local volume name rule, with its words. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw new InvalidArgumentError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/** docker's option checks for the local driver (validateOpts). */
export function validateVolumeOptions(name: string, opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw new InvalidArgumentError(`create ${name}: invalid option: "${k}"`);
  if (opts.size !== undefined) throw new InvalidArgumentError(`create ${name}: quota size requested but no quota support`);
  for (const [k, need] of Object.entries(REQUIRED)) {
    if (!(k in opts)) continue;
    for (const r of need) if (!(r in opts)) throw new InvalidArgumentError(`create ${name}: missing required option: "${r}"`);
  }
  if (opts.o !== undefined) parseMountOptions(opts.o);
}

/** A local volume with options mounts something over its _data while in use. */
export function needsMount(opts: Record<string, string> | null): boolean {
  return !!opts && (!!opts.type || !!opts.device);
}

export function volumeDirs(volumesRoot: string, name: string): { root: string; data: string } {
  const root = join(volumesRoot, name);
  return { root, data: join(root, '_data') };
}

/** mkdir volumes/<name>/_data (0701 / 0755, as docker); false when it was there already. */
export function createVolumeDir(volumesRoot: string, name: string): boolean {
  mkdirSync(volumesRoot, { recursive: true, mode: 0o701 });
  const d = volumeDirs(volumesRoot, name);
  try {
    mkdirSync(d.root, { mode: 0o701 });
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw new EngineError(ErrorCode.SYSTEM, `error while creating volume root path '${d.root}': ${(e as Error).message}`);
  }
  mkdirSync(d.data, { mode: 0o755 });
  return true;
}

/** Unmount (if mounted) and delete the volume's directory. */
export function removeVolumeDir(volumesRoot: string, name: string): void {
  const d = volumeDirs(volumesRoot, name);
  unmountPath(d.data);
  rmSync(d.root, { recursive: true, force: true });
}

export function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}

/** Mount the volume's filesystem over _data unless it is mounted already. */
export function mountVolume(volumesRoot: string, name: string, opts: Record<string, string>): void {
  const d = volumeDirs(volumesRoot, name);
  if (isMountPoint(d.data)) return;
  if (!opts.device) throw new EngineError(ErrorCode.INVALID, `volume ${name}: missing device in volume options`);
  const { flags, data } = parseMountOptions(opts.o ?? '');
  const type = opts.type === 'none' || !opts.type ? null : opts.type;
  try {
    mount(opts.device, d.data, type, flags, data || null);
  } catch (e) {
    throw new EngineError(ErrorCode.SYSTEM, `error while mounting volume '${d.data}': failed to mount local volume: mount ${opts.device}:${d.data}, flags: 0x${flags.toString(16)}, data: ${data}: ${errnoCode(e) ?? (e as Error).message}`);
  }
}

export function unmountVolume(volumesRoot: string, name: string): void {
  unmountPath(volumeDirs(volumesRoot, name).data);
}

/** Whether the path is on the same filesystem as its parent dir's (a volume's mount is not). */
export function sameDevice(a: string, b: string): boolean {
  return statSync(a).dev === statSync(b).dev;
}

const FLAGS: Record<string, [set: number, clear: number]> = {
  defaults: [0, 0],
  ro: [MS_RDONLY, 0],
  rw: [0, MS_RDONLY],
  nosuid: [MS_NOSUID, 0],
  suid: [0, MS_NOSUID],
  nodev: [MS_NODEV, 0],
  dev: [0, MS_NODEV],
  noexec: [MS_NOEXEC, 0],
  exec: [0, MS_NOEXEC],
  bind: [MS_BIND, 0],
  rbind: [MS_BIND | MS_REC, 0],
  sync: [0x10, 0],
  async: [0, 0x10],
  noatime: [0x400, 0],
  atime: [0, 0x400],
  nodiratime: [0x800, 0],
  diratime: [0, 0x800],
  relatime: [0x200000, 0],
  strictatime: [0x1000000, 0],
};

/** "o=" of the local driver as mount(2) flags and data (moby/sys/mount's parseOptions). */
export function parseMountOptions(o: string): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const opt of o.split(',')) {
    if (!opt) continue;
    const f = FLAGS[opt];
    if (f) flags = (flags | f[0]) & ~f[1];
    else data.push(opt);
  }
  return { flags, data: data.join(',') };
}
