import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt, slipway, type Run } from '../image/cli.js';
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

/** A CLI result that must have succeeded (no internal error, exit 0): its stdout. */
export function okRun(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.stderr, `exit ${r.code}: ${r.stderr}`).not.toMatch(/internal error|\n\s+at /);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/**
 * A temp store with the busybox fixture loaded through the CLI as this (ordinary) user, made
 * in beforeAll; `beforeCleanup` runs in afterAll first (inside-the-namespace cleanups).
 */
export function rootlessStore(prefix: string, beforeCleanup?: (sw: (...args: string[]) => Run) => void): { sw: (...args: string[]) => Run } {
  const ref = { sw: (() => { throw new Error('store not ready'); }) as (...args: string[]) => Run };
  let root = '';
  let cleanup = () => {};
  beforeAll(() => {
    if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
    ensureBuilt();
    ({ root, cleanup } = tempRoot(prefix));
    ref.sw = (...args: string[]) => slipway(root, args);
    okRun(ref.sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')));
  });
  afterAll(() => {
    if (!root) return;
    beforeCleanup?.(ref.sw);
    cleanup();
  });
  return ref;
}
