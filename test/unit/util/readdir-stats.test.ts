import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirWithStats } from '../../../main/engine/util/native.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-dirstat-'));
  for (const n of ['b.txt', 'a.txt', 'Z', 'é-accent', '10', '9']) writeFileSync(join(dir, n), n.repeat(3));
  mkdirSync(join(dir, 'sub'), { mode: 0o750 });
  symlinkSync('a.txt', join(dir, 'link'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readdirWithStats (the build context walk, one addon call per directory)', () => {
  it('lists what readdir lists, sorted as Array.prototype.sort does, with the lstat of each', () => {
    const got = readdirWithStats(dir);
    expect(got).toBeDefined();
    expect(got!.map(([n]) => n)).toEqual(readdirSync(dir).sort());
    for (const [n, st] of got!) {
      const want = lstatSync(join(dir, n));
      expect(st).toBeInstanceOf(Stats);
      for (const k of ['dev', 'mode', 'nlink', 'uid', 'gid', 'ino', 'size', 'blocks', 'mtimeMs', 'ctimeMs'] as const) expect([n, k, st[k]]).toEqual([n, k, want[k]]);
      expect([st.isFile(), st.isDirectory(), st.isSymbolicLink()]).toEqual([want.isFile(), want.isDirectory(), want.isSymbolicLink()]);
      expect(st.mtime.getTime()).toBe(want.mtime.getTime());
    }
    expect(got!.find(([n]) => n === 'link')![1].isSymbolicLink()).toBe(true);
  });

  it('fails for a missing directory with the errno name, as fs does', () => {
    expect(() => readdirWithStats(join(dir, 'nope'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
