import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { findRange } from '../../../main/engine/rootless/subid.js';

/** The test user's first subordinate uid (what uid 1 inside the namespace is outside). */
export function subUidBase(): number {
  const u = userInfo();
  const r = findRange(readFileSync('/etc/subuid', 'utf8'), u.username, u.uid);
  if (!r) throw new Error(`no /etc/subuid entry for ${u.username}: run these tests through scripts/test-rootless.sh`);
  return r.start;
}

/** These tests mean something only as an ordinary user (scripts/test-rootless.sh). */
export const isOrdinaryUser = process.getuid?.() !== 0;
