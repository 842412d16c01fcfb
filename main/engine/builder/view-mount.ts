import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { chooseDriver, driverByName } from '../mount/probe.js';
import type { LayerMount, MountDriver } from '../mount/driver.js';

/** The store's overlay driver; RUN cannot work on a store that fell back to copying. */
export async function overlayDriver(engine: Engine): Promise<MountDriver> {
  const choice = await chooseDriver(engine.store.paths.root);
  if (choice.driver === 'copy') {
    throw new EngineError(ErrorCode.SYSTEM, 'RUN needs an overlay mount (kernel overlayfs or fuse-overlayfs); this store fell back to copying layers, which builds do not support');
  }
  return driverByName(choice.driver);
}

/**
 * A writable merged view of layer dirs at `dir/merged` (a stage or an image as a RUN mount
 * sees it); writes land in `dir/upper` and go away with it. Snapshots are never written.
 */
export async function mountView(engine: Engine, lowers: string[], dir: string, driver?: MountDriver): Promise<{ path: string; unmount: () => Promise<void> }> {
  const d = driver ?? (await overlayDriver(engine));
  const vm: LayerMount = { lowers: lowers.length ? lowers : [join(dir, 'empty')], upper: join(dir, 'upper'), work: join(dir, 'work'), target: join(dir, 'merged'), linkDir: join(dir, 'l') };
  for (const p of [vm.upper, vm.work, vm.target, vm.linkDir, ...(lowers.length ? [] : [vm.lowers[0]!])]) mkdirSync(p, { recursive: true });
  await d.mount(vm);
  return {
    path: vm.target,
    unmount: async () => {
      await d.unmount(vm.target);
      // Only after a good unmount: deleting through a mount would reach the layers below.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
