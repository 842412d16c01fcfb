import { StorePaths } from '../store/paths.js';
import { spawn } from 'node:child_process';
import { lastLine } from '../util/text.js';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineError, ErrorCode, errorMessage } from '../model/errors.js';
import { createNetnsNative, errnoCode, MNT_DETACH, umount2 } from '../util/native.js';

/** Where a container's network namespace is bind-mounted: <root>/netns/<id> (outside the container dir, which rm deletes). */
export function netnsPath(root: string, id: string): string {
  return new StorePaths(root).netnsOf(id);
}

/** Run a helper binary; resolves with its exit code and stderr. */
export function runTool(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => resolve({ code: 127, stderr: e.message }));
    p.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/**
 * A new, empty network namespace kept alive by a bind mount at `path` (as `ip netns add`
 * does, but in the store so stores never collide). The addon creates and binds it; without
 * the addon, util-linux's unshare does.
 */
export async function createNetns(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (isNetnsMount(path)) await removeNetns(path);
  closeSync(openSync(path, 'w', 0o600));
  const fail = (why: string) => {
    rmSync(path, { force: true });
    return new EngineError(ErrorCode.SYSTEM, `cannot create the container's network namespace: ${why}: run as root (or use --network host)`);
  };
  try {
    // without a process (one fork and exec less on every start of a container with a network)
    if (createNetnsNative(path)) return;
  } catch (e) {
    throw fail(errorMessage(e));
  }
  const r = await runTool('unshare', [`--net=${path}`, 'true']);
  if (r.code !== 0) throw fail(r.stderr.trim() || `unshare exited ${r.code}`);
}

/** Is `path` a mounted network namespace (an nsfs mount point)? */
export function isNetnsMount(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => {
        const f = l.split(' ');
        return f[4] === path && l.includes(' - nsfs ');
      });
  } catch {
    return false;
  }
}

/** Unmount (lazily: a process may still hold it) and delete the netns file. Idempotent. */
export async function removeNetns(path: string): Promise<void> {
  for (let i = 0; i < 8 && isNetnsMount(path); i++) {
    try {
      umount2(path, MNT_DETACH);
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'EINVAL' && code !== 'ENOENT') {
        const r = await runTool('umount', ['-l', path]);
        if (r.code !== 0 && isNetnsMount(path)) throw new EngineError(ErrorCode.SYSTEM, `cannot unmount the network namespace ${path}: ${lastLine(r.stderr)}`);
      }
    }
  }
  if (existsSync(path)) rmSync(path, { force: true });
}
