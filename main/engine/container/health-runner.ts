import { spawn } from 'node:child_process';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { ContainerManager } from './manager.js';
import { slipwayBin } from './monitor.js';

/**
 * The store's one healthcheck runner (`slipway container-health --store ROOT`): a detached
 * process, because no daemon is always there, that runs the loop of every running container
 * with a healthcheck, as dockerd runs them all in itself. One per store, not one per
 * container: a Node process is ~60 MB, and an app of five services would pay that five times.
 *
 * It holds <root>/health-runner.pid while it runs (made with link(2), so two starts racing
 * leave one runner), looks for new runs every second or at once on SIGUSR2 (a `start` sends
 * it), and exits when no container needs it. Its exit cannot lose a new run: a start writes
 * the run's health row before it looks at the pid file, and the runner gives up the file
 * before its last look at the rows.
 */

const SCAN_MS = 1000;
/** scans with nothing to watch before the runner exits */
const IDLE_SCANS = 2;
const WAKE = 'SIGUSR2';

/** Is the pid a live health runner (not a recycled pid)? */
export function runnerAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('container-health');
  } catch {
    return false;
  }
}

function holder(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Take the pid file, or say who has it. A dead holder's file is taken over. */
function claim(file: string): boolean {
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let i = 0; i < 2; i++) {
      try {
        linkSync(tmp, file);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = holder(file);
        if (pid === process.pid) return true;
        if (runnerAlive(pid)) return false;
        try {
          unlinkSync(file);
        } catch {
          // another runner took it over first: the next link says so
        }
      }
    }
    return false;
  } finally {
    unlinkSync(tmp);
  }
}

function release(file: string): void {
  if (holder(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

/** Make sure the store's runner is there and looking: wake it, or start one. */
export function ensureHealthRunner(mgr: ContainerManager): void {
  const pid = holder(mgr.engine.store.paths.healthRunnerPid);
  if (runnerAlive(pid)) {
    try {
      process.kill(pid, WAKE);
      return;
    } catch {
      // it exited just now: start another
    }
  }
  // detached, no stdio: it outlives the CLI that ran `run -d`, as conmon does
  const child = spawn(process.execPath, ['--', slipwayBin(), 'container-health', '--store', mgr.engine.store.paths.root], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  child.on('error', () => {});
  child.unref();
}

/**
 * The runner's life: `watch(mgr)` names the runs that need a loop now (id -> run), and
 * `loop(mgr, id)` is one container's loop, which ends with its run.
 */
export async function runHealthRunner(
  mgr: ContainerManager,
  watch: (mgr: ContainerManager) => Map<string, string>,
  loop: (mgr: ContainerManager, id: string) => Promise<void>,
): Promise<void> {
  const file = mgr.engine.store.paths.healthRunnerPid;
  if (!claim(file)) return;
  const loops = new Map<string, Promise<void>>();
  let wake: () => void = () => {};
  process.on(WAKE, () => wake());
  const scan = (): number => {
    for (const [id, run] of watch(mgr)) {
      const key = `${id} ${run}`;
      if (loops.has(key)) continue;
      loops.set(key, loop(mgr, id).catch(() => {}).finally(() => loops.delete(key)));
    }
    return loops.size;
  };
  try {
    for (let idle = 0; ; ) {
      idle = scan() ? 0 : idle + 1;
      if (idle >= IDLE_SCANS) {
        release(file);
        // a start that saw our pid file before we let it go has written its row by now
        if (!scan()) return;
        if (!claim(file)) return; // a new runner has it: it will see these runs too
        idle = 0;
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, SCAN_MS);
        wake = () => (clearTimeout(t), res());
      });
    }
  } finally {
    await Promise.all(loops.values());
    release(file);
  }
}
