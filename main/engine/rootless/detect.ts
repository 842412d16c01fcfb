import { readFileSync } from 'node:fs';

/** Set in the environment of a CLI process that has joined the rootless namespace. */
export const USERNS_ENV = 'SLIPWAY_USERNS';

let cached: boolean | undefined;

/**
 * True inside a user namespace other than the host's. The uid is no guide there: a rootless
 * CLI runs as uid 0 inside its namespace yet cannot mknod, use trusted.* xattrs or raise
 * cgroup limits. The initial namespace maps the whole 32-bit range onto itself.
 */
export function inUserNamespace(): boolean {
  if (cached !== undefined) return cached;
  try {
    const lines = readFileSync('/proc/self/uid_map', 'utf8').trim().split('\n');
    const f = (lines[0] ?? '').trim().split(/\s+/);
    cached = !(lines.length === 1 && f[0] === '0' && f[1] === '0' && f[2] === '4294967295');
  } catch {
    cached = false;
  }
  return cached;
}

/**
 * Rootless = the engine lacks real root: an ordinary user, or "root" inside a user namespace.
 * Then overlay mounts need `userxattr`, layers use user.overlay.* xattrs and skip device nodes,
 * and cgroup limits work only where a cgroup was delegated to the user.
 */
export function isRootless(): boolean {
  return (typeof process.getuid === 'function' && process.getuid() !== 0) || inUserNamespace();
}

/** The id mapping of this process's user namespace, one "inside outside count" per line. */
export function currentIdMap(kind: 'uid' | 'gid'): { inside: number; outside: number; count: number }[] {
  try {
    return readFileSync(`/proc/self/${kind}_map`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number))
      .filter((a) => a.length === 3 && a.every(Number.isFinite))
      .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
  } catch {
    return [];
  }
}
