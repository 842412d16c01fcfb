import { StorePaths } from '../store/paths.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomHex } from '../util/ids.js';
import type { DriverName, MountDriver } from './driver.js';
import { KernelOverlay } from './overlay.js';
import { FuseOverlay } from './fuse.js';
import { CopyDriver } from './copy.js';
import { errorMessage, InvalidArgumentError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface DriverChoice {
  driver: DriverName;
  /** why this one: shown by `slipway info` */
  reason: string;
  probedAt: string;
}

export function driverByName(name: DriverName): MountDriver {
  switch (name) {
    case 'overlay': return new KernelOverlay();
    case 'fuse-overlayfs': return new FuseOverlay();
    case 'copy': return new CopyDriver();
  }
}

const NAMES: DriverName[] = ['overlay', 'fuse-overlayfs', 'copy'];

/**
 * Which driver this store uses: SLIPWAY_MOUNT_DRIVER if set, else the first of kernel
 * overlayfs, fuse-overlayfs, copy that passes a real mount test. Probed once per store and
 * cached in <root>/mount-driver.json (delete it to probe again).
 */
export async function chooseDriver(root: string): Promise<DriverChoice> {
  const forced = process.env.SLIPWAY_MOUNT_DRIVER as DriverName | undefined;
  if (forced) {
    if (!NAMES.includes(forced)) throw new InvalidArgumentError(`SLIPWAY_MOUNT_DRIVER=${forced} is not a driver: use one of ${NAMES.join(', ')}`);
    return { driver: forced, reason: 'chosen by SLIPWAY_MOUNT_DRIVER', probedAt: new Date().toISOString() };
  }
  const cache = new StorePaths(root).mountDriverCache;
  if (existsSync(cache)) {
    try {
      const c = JSON.parse(readFileSync(cache, 'utf8')) as DriverChoice;
      if (NAMES.includes(c.driver)) return c;
    } catch {
      // unreadable cache: probe again
    }
  }
  const choice = await probe(root);
  writeFileAtomic(cache, JSON.stringify(choice, null, 2));
  return choice;
}

async function probe(root: string): Promise<DriverChoice> {
  const failures: string[] = [];
  for (const name of ['overlay', 'fuse-overlayfs'] as const) {
    const err = await tryDriver(root, driverByName(name));
    if (!err) {
      const why = failures.length ? `; ${failures.join('; ')}` : '';
      return { driver: name, reason: `${name === 'overlay' ? 'kernel overlayfs' : 'fuse-overlayfs'} passed a mount test${why}`, probedAt: new Date().toISOString() };
    }
    failures.push(`${name} failed: ${err}`);
  }
  return { driver: 'copy', reason: `no overlay works here (${failures.join('; ')}): layers are copied`, probedAt: new Date().toISOString() };
}

/** Mount two layers, write through, check the write lands in upper; undefined = works. */
async function tryDriver(root: string, d: MountDriver): Promise<string | undefined> {
  const dir = join(new StorePaths(root).tmp, `probe-${d.name}-${process.pid}-${randomHex(3)}`);
  const m = { lowers: [join(dir, 'l1'), join(dir, 'l2')], upper: join(dir, 'u'), work: join(dir, 'w'), target: join(dir, 'm'), linkDir: join(dir, 'links') };
  try {
    for (const p of [...m.lowers, m.upper, m.work, m.target]) mkdirSync(p, { recursive: true });
    writeFileSync(join(m.lowers[0]!, 'a'), 'a');
    writeFileSync(join(m.lowers[1]!, 'b'), 'b');
    await d.mount(m);
    try {
      if (readFileSync(join(m.target, 'a'), 'utf8') !== 'a' || readFileSync(join(m.target, 'b'), 'utf8') !== 'b') return 'layers not visible';
      writeFileSync(join(m.target, 'c'), 'c');
      if (!existsSync(join(m.upper, 'c'))) return 'write did not reach the upper dir';
    } finally {
      await d.unmount(m.target);
    }
    return undefined;
  } catch (e) {
    return errorMessage(e).split('\n')[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
