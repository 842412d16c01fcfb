import { spawnSync } from 'node:child_process';
import { lastLine } from '../util/text.js';
import type { LayerMount, MountDriver } from './driver.js';
import { overlayOptions } from './short-links.js';
import { unmountPath } from './unmount.js';
import { EngineError, ErrorCode } from '../model/errors.js';

/** fuse-overlayfs: overlay semantics in user space, for kernels that refuse overlay here. */
export class FuseOverlay implements MountDriver {
  readonly name = 'fuse-overlayfs' as const;

  async mount(m: LayerMount): Promise<void> {
    const data = overlayOptions(m);
    const r = spawnSync('fuse-overlayfs', ['-o', data, m.target], { cwd: m.linkDir, encoding: 'utf8' });
    if (r.status !== 0) throw new EngineError(ErrorCode.SYSTEM, `fuse-overlayfs could not mount ${m.target}: ${lastLine(r.stderr || r.error?.message || '')}`);
  }

  unmount(target: string): Promise<void> {
    unmountPath(target);
    return Promise.resolve();
  }

  changesDir(m: LayerMount): string {
    return m.upper;
  }

  mergedLayers(m: LayerMount): string[] {
    return [m.upper, ...[...m.lowers].reverse()];
  }
}
