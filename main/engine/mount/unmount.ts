import { spawnSync } from 'node:child_process';
import { isMountPoint } from './mountinfo.js';
import { umount2, nativeAvailable, errnoCode, MNT_DETACH } from '../util/native.js';

/** Unmount if mounted; a busy mount is detached lazily rather than left behind. */
export function unmountPath(target: string): void {
  if (!isMountPoint(target)) return;
  if (nativeAvailable()) {
    try {
      umount2(target, 0);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      umount2(target, MNT_DETACH);
    }
    return;
  }
  const r = spawnSync('umount', [target]);
  if (r.status !== 0) spawnSync('umount', ['-l', target]);
}
