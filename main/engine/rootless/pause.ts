import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { SubIds } from './subid.js';

/**
 * The rootless namespace holder. A user namespace (the user as root plus the subordinate
 * range) and a mount namespace live as long as one process is in them; that process is this
 * pause process (`sleep infinity`, as podman keeps its own), and every rootless CLI command
 * joins its namespaces, so overlay mounts made by `create` are there for `start`, for conmon
 * and for `rm`. Its pid is kept in $XDG_RUNTIME_DIR/slipway/pause.pid.
 */

export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const base = env.XDG_RUNTIME_DIR || `/tmp/slipway-run-${uid}`;
  return join(base, 'slipway');
}

export function pausePidFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), 'pause.pid');
}

/** The pause pid, if it is alive and holds a namespace that maps us to root. */
export function livePausePid(ids: Pick<SubIds, 'uid'>, pidFile = pausePidFile()): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return holdsOurNamespace(pid, ids.uid) ? pid : undefined;
}

/** A recycled pid will not pass this: it must be `sleep` (or `comm`), in another userns, mapping 0 to us. */
function holdsOurNamespace(pid: number, uid: number, comm = 'sleep'): boolean {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) return false;
    if (/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    if (readlinkSync(`/proc/${pid}/ns/user`) === readlinkSync('/proc/self/ns/user')) return false;
    const first = readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split('\n')[0]?.trim().split(/\s+/);
    return first?.[0] === '0' && first[1] === String(uid) && first[2] === '1';
  } catch {
    return false;
  }
}

/** The pause pid, starting the pause process (and its namespaces) when there is none. */
export async function ensurePauseProcess(ids: SubIds): Promise<number> {
  const existing = livePausePid(ids);
  if (existing) return existing;
  const dir = runtimeDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const release = await lock(join(dir, 'pause.lock'));
  try {
    // Another command may have started it while we waited for the lock.
    const again = livePausePid(ids);
    if (again) return again;
    // Pause killed while containers run: their conmons still hold the old namespaces, and
    // their rootfs mounts are only there. Join those (as podman does) rather than start afresh.
    const conmon = ourConmon(ids.uid);
    const pid = conmon ? await pauseInside(conmon, ids) : await startPause(ids);
    writeFileAtomic(pausePidFile(), `${pid}\n`);
    return pid;
  } finally {
    release();
  }
}

async function startPause(ids: SubIds): Promise<number> {
  const child = spawn('unshare', ['--user', '--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
    cwd: '/',
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new EngineError(ErrorCode.SYSTEM, `cannot start the rootless namespace (unshare from util-linux): ${e.message}`)));
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  const fail = (msg: string): never => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    throw new EngineError(ErrorCode.SYSTEM, msg);
  };
  // unshare(2) happens after exec; the namespace link changes when it has.
  const own = readlinkSync('/proc/self/ns/user');
  const until = Date.now() + 5000;
  for (;;) {
    let ns: string | undefined;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/user`);
    } catch {
      fail('cannot create a user namespace: `unshare --user` exited at once (are unprivileged user namespaces disabled? see sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)');
    }
    if (ns && ns !== own) break;
    if (Date.now() > until) fail('cannot create a user namespace: `unshare --user` did not enter one within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const [tool, self, range] of [
    ['newuidmap', ids.uid, ids.uids],
    ['newgidmap', ids.gid, ids.gids],
  ] as const) {
    const r = spawnSync(tool, [String(pid), '0', String(self), '1', '1', String(range.start), String(range.count)], { encoding: 'utf8' });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0];
      fail(`${tool} could not map ${ids.user}'s subordinate ids ${range.start}-${range.start + range.count - 1} (${why}): install uidmap (apt-get install uidmap) and check /etc/sub${tool === 'newuidmap' ? 'uid' : 'gid'}`);
    }
  }
  if (!holdsOurNamespace(pid, ids.uid)) fail('the rootless namespace process exited right after it was set up');
  return pid;
}

/** A conmon of this user inside a rootless namespace of this user, if any is running. */
function ourConmon(uid: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (statSync(`/proc/${name}`).uid !== uid) continue;
    } catch {
      continue;
    }
    if (holdsOurNamespace(Number(name), uid, 'conmon')) return Number(name);
  }
  return undefined;
}

/** A new pause process in the namespaces of `target`. */
async function pauseInside(target: number, ids: SubIds): Promise<number> {
  const want = readlinkSync(`/proc/${target}/ns/user`);
  const child = spawn('nsenter', ['--user', '--mount', '--preserve-credentials', '-t', String(target), '--', 'sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
    cwd: '/',
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', (e) => reject(new EngineError(ErrorCode.SYSTEM, `cannot rejoin the rootless namespace with nsenter (util-linux): ${e.message}`)));
    child.once('spawn', () => resolve(child.pid!));
  });
  child.unref();
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/user`) === want && holdsOurNamespace(pid, ids.uid)) return pid;
    } catch {
      break; // nsenter failed and exited
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  // The conmon went away meanwhile, or nsenter was refused: a fresh namespace then.
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  return startPause(ids);
}

/** An exclusive lock file holding the owner's pid; a dead owner's lock is taken over. */
async function lock(path: string): Promise<() => void> {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(path, 'utf8').trim());
    } catch {
      // removed meanwhile: retry
    }
    if (owner && !alive(owner)) rmSync(path, { force: true });
    else if (Date.now() > until) throw new EngineError(ErrorCode.SYSTEM, `waited 10 s for the rootless namespace lock ${path} (held by pid ${owner}): remove it if that process is gone`);
    else await new Promise((r) => setTimeout(r, 20));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
