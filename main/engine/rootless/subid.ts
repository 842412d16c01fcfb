import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { EngineError, ErrorCode } from '../model/errors.js';

export interface SubIdRange {
  start: number;
  count: number;
}

export interface SubIds {
  user: string;
  uid: number;
  gid: number;
  uids: SubIdRange;
  gids: SubIdRange;
}

/** The first range in an /etc/subuid-style file for `name` or `uid` (both forms are allowed there). */
export function findRange(text: string, name: string, uid: number): SubIdRange | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [who, start, count] = t.split(':');
    if (who !== name && who !== String(uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) return { start: s, count: c };
  }
  return undefined;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The calling user's subordinate uid and gid ranges, or one line saying what to add. */
export function subIdsForCurrentUser(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): SubIds {
  const u = userInfo();
  const uids = findRange(readOr(files.subuid), u.username, u.uid);
  const gids = findRange(readOr(files.subgid), u.username, u.uid);
  if (!uids || !gids) {
    const missingFiles = [!uids && files.subuid, !gids && files.subgid].filter(Boolean);
    const missing = `${missingFiles.join(' and ')} ${missingFiles.length > 1 ? 'have' : 'has'}`;
    throw new EngineError(ErrorCode.SYSTEM, `rootless mode needs subordinate ids, and ${missing} no entry for user ${u.username}: ` +
        `add the line "${u.username}:100000:65536" to /etc/subuid and /etc/subgid (as root: ` +
        `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${u.username}; pick a range no other user has)`);
  }
  return { user: u.username, uid: u.uid, gid: u.gid, uids, gids };
}
