import { spawnSync } from 'node:child_process';
import { lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';
import { liveTempName } from '../util/ids.js';
import { lgetxattr, llistxattr, lsetxattr, nativeAvailable } from '../util/native.js';

/**
 * docker's volume copy-up (CopyImagePathContent): fill an empty volume with what the image
 * holds at the mount point, owners, modes, times, xattrs and hard links kept, and give the
 * volume's own directory the owner and mode of the image's directory. GNU `cp -a` does the
 * copy. It goes into a temp dir beside _data that no container sees, and the entries are
 * renamed into _data after, so a container already using the volume cannot plant a symlink
 * that the copy would follow. A volume mounted from elsewhere (--opt device=...) is on
 * another filesystem: rename cannot reach it, so the copy goes there directly.
 */
export function copyUp(source: string, data: string): void {
  const sameFs = lstatSync(dirname(data)).dev === lstatSync(data).dev;
  const target = sameFs ? join(dirname(data), liveTempName('.copy-up')) : data;
  if (sameFs) mkdirSync(target, { mode: 0o700 });
  try {
    const r = spawnSync('cp', ['-a', '--', `${source}/.`, `${target}/`], { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `cp exited ${r.status}`);
      throw new EngineError(ErrorCode.SYSTEM, `cannot copy the image's files into the volume ${data}: ${why}`);
    }
    if (!sameFs) return;
    for (const name of readdirSync(target)) renameSync(join(target, name), join(data, name));
    copyDirAttributes(target, data);
  } finally {
    if (sameFs) rmSync(target, { recursive: true, force: true });
  }
}

/** owner, mode, xattrs and times of one directory onto another (never following a symlink). */
function copyDirAttributes(from: string, to: string): void {
  const st = lstatSync(from);
  lchownSync(to, st.uid, st.gid);
  chmodSync(to, st.mode & 0o7777);
  if (nativeAvailable()) {
    for (const name of llistxattr(from)) {
      const v = lgetxattr(from, name);
      if (v === null) continue;
      try {
        lsetxattr(to, name, v);
      } catch {
        // an xattr this filesystem or namespace refuses (trusted.*, security.* rootless): docker skips them too
      }
    }
  }
  lutimesSync(to, st.atime, st.mtime);
}
