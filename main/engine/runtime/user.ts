import { readFileSync } from 'node:fs';
import { scopedPath } from './rootfs-path.js';
import { EngineError, ErrorCode } from '../model/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

function readTable(rootfs: string, file: string): string[][] {
  try {
    return readFileSync(scopedPath(rootfs, file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/**
 * docker's user resolution: "name|uid[:group|gid]" looked up in the image's /etc/passwd and
 * /etc/group (from the mounted rootfs). A numeric uid need not exist; a name must. The
 * supplementary groups are those that list the user by name, as docker does.
 */
export function resolveUser(rootfs: string, spec: string | undefined): ResolvedUser {
  const s = (spec ?? '').trim();
  const [userPart = '', groupPart] = s ? s.split(':', 2) : ['root'];
  const passwd = readTable(rootfs, '/etc/passwd');
  const groups = readTable(rootfs, '/etc/group');
  let uid: number;
  let gid = 0;
  let name: string | undefined;
  let home = '/';
  const byName = passwd.find((e) => e[0] === (userPart || 'root'));
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const e = passwd.find((p) => Number(p[2]) === uid);
    if (e) {
      gid = Number(e[3] ?? 0);
      name = e[0];
      home = e[5] || '/';
    }
  } else if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3] ?? 0);
    name = byName[0];
    home = byName[5] || '/';
  } else if (!userPart || userPart === 'root') {
    uid = 0;
    name = 'root';
    home = '/root';
  } else {
    throw new EngineError(ErrorCode.SYSTEM, `unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((e) => e[0] === groupPart);
      if (!g) throw new EngineError(ErrorCode.SYSTEM, `unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  const additionalGids: number[] = [];
  if (name && groupPart === undefined) {
    for (const g of groups) {
      const members = (g[3] ?? '').split(',').filter(Boolean);
      const id = Number(g[2]);
      if (members.includes(name) && id !== gid && !additionalGids.includes(id)) additionalGids.push(id);
    }
  }
  return { uid, gid, additionalGids, home };
}
