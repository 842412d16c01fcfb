import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { EngineError, ErrorCode, InvalidArgumentError } from '../model/errors.js';
import { mkdirScoped } from '../runtime/rootfs-path.js';
import { DEFAULT_PROPAGATION, mergeTmpfsOptions } from './mount-spec.js';
import type { MountPoint } from './types.js';

/** One entry of config.json's mounts. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/**
 * A container's volumes, binds and tmpfs mounts as runc mounts them (docker's setupMounts +
 * oci_linux.go): sorted so a parent is mounted before what goes inside it, mount points made
 * in the rootfs (never following a symlink out of it), a missing -v host directory created
 * as docker does, and the rootfs propagation raised when a mount asks for shared or slave.
 */
export function ociMounts(rootfs: string, mounts: MountPoint[], tmpfs: Record<string, string> | null | undefined): { mounts: OciMount[]; rootfsPropagation?: string } {
  const out: { depth: number; m: OciMount }[] = [];
  let rootProp: string | undefined;
  const depth = (d: string) => posix.normalize(d).split('/').length;
  for (const mp of mounts) {
    if (mp.Type === 'tmpfs') {
      out.push({ depth: depth(mp.Destination), m: tmpfsMount(mp.Destination, mp.tmpfsData ?? '') });
      continue;
    }
    const source = mp.subpath ? posix.join(mp.Source, mp.subpath) : mp.Source;
    if (!existsSync(source)) {
      if (mp.Type === 'bind' && mp.createSource) mkdirSync(source, { recursive: true, mode: 0o755 });
      else if (mp.Type === 'bind') throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
      else throw new EngineError(ErrorCode.SYSTEM, `error while mounting volume '${mp.Name}': its directory ${source} is missing: run \`slipway system check --repair\``);
    }
    if (statSync(source).isDirectory()) mkdirScoped(rootfs, mp.Destination); // runc makes file targets itself
    const prop = mp.Propagation || DEFAULT_PROPAGATION;
    if (prop === 'shared' || prop === 'rshared') {
      ensurePropagation(source, ['shared']);
      rootProp = 'rshared';
    } else if (prop === 'slave' || prop === 'rslave') {
      ensurePropagation(source, ['shared', 'master']);
      if (rootProp !== 'rshared') rootProp = 'rslave';
    }
    const options = [mp.nonRecursive ? 'bind' : 'rbind', ...(mp.RW ? [] : ['ro']), prop];
    out.push({ depth: depth(mp.Destination), m: { destination: mp.Destination, type: 'bind', source, options } });
  }
  // tmpfs mount points are left to runc: runc 1.1 (before 1.1.8) gives a tmpfs the mode of a
  // directory that was already there, ignoring mode= (moby#39466), so one made here would
  // always win over --tmpfs /x:mode=1777
  for (const [dest, data] of Object.entries(tmpfs ?? {})) {
    out.push({ depth: depth(dest), m: tmpfsMount(dest, data) });
  }
  // a stable sort by depth: /a before /a/b, the given order among equals (docker's sortMounts)
  out.sort((a, b) => a.depth - b.depth);
  return { mounts: out.map((x) => x.m), ...(rootProp ? { rootfsPropagation: rootProp } : {}) };
}

function tmpfsMount(destination: string, data: string): OciMount {
  return { destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', DEFAULT_PROPAGATION, ...(data ? data.split(',') : [])]) };
}

/**
 * docker's ensureShared / ensureSharedOrSlave: the mount holding `path` must propagate, or a
 * shared/slave bind would silently behave as private.
 */
function ensurePropagation(path: string, want: string[]): void {
  let best: { point: string; optional: string } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const point = f[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (!point) continue;
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, optional: f.slice(6, f.indexOf('-')).join(' ') };
  }
  if (best && want.some((w) => best!.optional.includes(`${w}:`))) return;
  const kind = want.length > 1 ? 'a shared or slave' : 'a shared';
  throw new InvalidArgumentError(`path ${path} is mounted on ${best?.point ?? '/'} but it is not ${kind} mount`);
}
