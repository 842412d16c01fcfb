import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirFingerprint, readdirWithStats } from '../../../main/engine/util/native.js';

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

describe('readdirFingerprint (a COPY\'d directory\'s stats as bytes to hash)', () => {
  it('is each entry\'s name and fixed stat fields, sorted, and names the subdirectories', () => {
    const got = readdirFingerprint(dir)!;
    expect(got.dirs).toEqual(['sub']);
    const names = Buffer.from(readdirSync(dir).sort().map((n) => `${n}\0`).join(''));
    // 64 bytes of mode, owner, size, inode, mtime and ctime after each name
    expect(got.bytes.length).toBe(names.length + 64 * readdirSync(dir).length);
    expect(got.bytes.subarray(0, 3).toString()).toBe('10\0');
  });

  it('changes when an entry\'s mtime, mode or size changes, and only then', () => {
    const d = mkdtempSync(join(tmpdir(), 'slipway-dirprint-'));
    try {
      writeFileSync(join(d, 'f'), 'one');
      const a = readdirFingerprint(d)!.bytes;
      expect(readdirFingerprint(d)!.bytes.equals(a)).toBe(true);
      utimesSync(join(d, 'f'), 1, 2);
      const b = readdirFingerprint(d)!.bytes;
      expect(b.equals(a)).toBe(false);
      chmodSync(join(d, 'f'), 0o600);
      const c = readdirFingerprint(d)!.bytes;
      expect(c.equals(b)).toBe(false);
      writeFileSync(join(d, 'f'), 'three');
      expect(readdirFingerprint(d)!.bytes.equals(c)).toBe(false);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('fails for a missing directory with the errno name', () => {
    expect(() => readdirFingerprint(join(dir, 'nope'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
