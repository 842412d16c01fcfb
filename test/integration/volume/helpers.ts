import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { encodeHeader, padding, END_OF_ARCHIVE, type TarHeader } from '../../../main/engine/layer/tar-format.js';
import { FIXTURES } from '../../helpers/tmp-store.js';
import { handmadeArchive, type Run } from '../image/cli.js';

/** A layer tar with exact owners, modes and xattrs (our PAX writer, as layers are written). */
export function layerTar(entries: (Partial<TarHeader> & { name: string; data?: string })[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    const h: TarHeader = { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 946684800, ...e, size: data?.length ?? 0 };
    parts.push(encodeHeader(h));
    if (data) {
      parts.push(data);
      const pad = padding(data.length);
      if (pad) parts.push(pad);
    }
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/**
 * busybox plus /srv/data as an image shows it to a volume: a directory owned by 1000:1000
 * (mode 0750, a user xattr), files of other owners and modes, a hard link, a symlink, and
 * VOLUME /srv/data in the config.
 */
export async function volumeImage(tag: string): Promise<Buffer> {
  const layer = layerTar([
    { name: 'srv', type: 'directory', mode: 0o755 },
    { name: 'srv/data', type: 'directory', mode: 0o750, uid: 1000, gid: 1000, xattrs: new Map([['user.origin', Buffer.from('image')]]) },
    { name: 'srv/data/conf', data: 'from the image\n', mode: 0o640, uid: 33, gid: 44 },
    { name: 'srv/data/hard', type: 'link', linkname: 'srv/data/conf', mode: 0o640, uid: 33, gid: 44 },
    { name: 'srv/data/sub', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
    { name: 'srv/data/sub/secret', data: 's\n', mode: 0o600, uid: 1000, gid: 1000 },
    { name: 'srv/data/link', type: 'symlink', linkname: 'conf', mode: 0o777 },
    { name: 'etc/app.conf', data: 'not a dir\n' },
  ]);
  const base = readFileSync(join(FIXTURES, 'busybox-rootfs.tar'));
  return handmadeArchive([{ layers: [base, layer], tags: [tag], config: { config: { Cmd: ['sh'], Volumes: { '/srv/data': {} } } } }]);
}

/** What a test expects "nothing half-created" to mean: the same volumes, dirs and containers as before. */
export function storeSnapshot(root: string, sw: (...a: string[]) => Run): { volumes: string; dirs: string[]; containers: string } {
  const dir = join(root, 'volumes');
  return {
    volumes: sw('volume', 'ls', '-q').stdout,
    dirs: existsSync(dir) ? readdirSync(dir).sort() : [],
    containers: sw('ps', '-aq', '--no-trunc').stdout,
  };
}
