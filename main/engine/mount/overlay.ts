import { spawnSync } from 'node:child_process';
import { lastLine } from '../util/text.js';
import type { LayerMount, MountDriver } from './driver.js';
import { overlayOptions } from './short-links.js';
import { unmountPath } from './unmount.js';
import { mount as nativeMount, nativeAvailable } from '../util/native.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { isRootless } from '../rootless/detect.js';

/** Kernel overlayfs: the fast path (no copy, no daemon). */
export class KernelOverlay implements MountDriver {
  readonly name = 'overlay' as const;

  async mount(m: LayerMount): Promise<void> {
    // In a user namespace overlay may not use trusted.* xattrs: userxattr makes it use user.overlay.*
    const data = overlayOptions(m, isRootless() ? ['userxattr'] : []);
    if (nativeAvailable()) {
      // mount(2) resolves the relative option paths against the cwd, so mount from linkDir.
      // chdir is process-wide; nothing async runs between the two chdirs.
      const prev = process.cwd();
      process.chdir(m.linkDir);
      try {
        nativeMount('overlay', m.target, 'overlay', 0, data);
      } catch (e) {
        throw new EngineError(ErrorCode.SYSTEM, `cannot mount the overlay rootfs at ${m.target}: ${(e as Error).message}`);
      } finally {
        process.chdir(prev);
      }
      return;
    }
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', data, m.target], { cwd: m.linkDir, encoding: 'utf8' });
    if (r.status !== 0) throw new EngineError(ErrorCode.SYSTEM, `cannot mount the overlay rootfs at ${m.target}: ${lastLine(r.stderr || r.error?.message || '')}`);
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
