import type { LayerView } from './fsview.js';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * USER / --chown name resolution through the image's own /etc/passwd and /etc/group, as
 * Docker does at build time (the host's databases never matter).
 */
export interface Ids {
  uid: number;
  gid: number;
}

function table(view: LayerView | undefined, file: string): string[][] {
  const buf = view?.readFile(file);
  if (!buf) return [];
  return buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** "user", "uid", "user:group", "uid:gid"... -> numeric ids. Numeric ids need no passwd entry. */
export function resolveChown(spec: string, view: LayerView | undefined): Ids {
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  const passwd = table(view, '/etc/passwd');
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    const row = passwd.find((r) => Number(r[2]) === uid);
    gid = row ? Number(row[3]) : undefined;
  } else {
    const row = passwd.find((r) => r[0] === user);
    if (!row) throw new EngineError(ErrorCode.INVALID, `unable to find user ${user}: no matching entries in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) {
      gid = Number(group);
    } else {
      const row = table(view, '/etc/group').find((r) => r[0] === group);
      if (!row) throw new EngineError(ErrorCode.INVALID, `unable to find group ${group}: no matching entries in the image's /etc/group`);
      gid = Number(row[2]);
    }
  } else if (group === undefined && /^\d+$/.test(user)) {
    // Docker: --chown=UID alone means gid = UID when not a named user
    gid = uid;
  }
  return { uid, gid: gid ?? uid };
}
