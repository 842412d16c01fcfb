import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, containerStore, until } from './helpers.js';
import { BUILD_TIMEOUT, slipway } from '../image/cli.js';

let s: ReturnType<typeof containerStore>;
beforeAll(() => {
  s = containerStore();
}, BUILD_TIMEOUT);
afterAll(() => s?.cleanup());

/** The phase names of one trace block, in the order printed. */
function phases(block: string): string[] {
  return block.split('\n').slice(1).map((l) => /^\s+[\d.]+ ms\s+(?:[\d.]+ ms\s+)?(.+)$/.exec(l)?.[1]?.trim() ?? '').filter(Boolean);
}

describe('SLIPWAY_TRACE', () => {
  it('prints nothing extra when unset', () => {
    const r = slipway(s.root, ['run', '--rm', '--network', 'none', BUSYBOX, 'echo', 'hi'], { env: { SLIPWAY_TRACE: '' } });
    expect(r).toMatchObject({ code: 0, stdout: 'hi\n', stderr: '' });
  });

  it('=1: one line per phase of run on stderr, from node start to exit; stdout unchanged', () => {
    const r = slipway(s.root, ['run', '--rm', '--network', 'none', BUSYBOX, 'echo', 'hi'], { env: { SLIPWAY_TRACE: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toMatch(/^slipway trace: pid \d+ run --rm --network none/);
    const p = phases(r.stderr);
    for (const name of ['node start -> CLI entry', 'node bootstrap', 'verb run', 'store: open SQLite + schema check',
      'create: resolve the image', 'start: mount the rootfs', 'start: conmon + runc create', 'start: runc start',
      'exit: record (finalize)', 'exit: unmount', 'exit']) expect(p).toContain(name);
    expect(p.at(-1)).toBe('exit');
    // nested phases are indented under the one that holds them
    expect(r.stderr).toMatch(/\n.*ms {2}verb run\n(?:.*\n)*?.*ms {4}start: runc start\n/);
  });

  it('=FILE appends there, also from conmon\'s exit command (container-cleanup)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-trace-'));
    try {
      const file = join(dir, 'trace.txt');
      const r = slipway(s.root, ['run', '-d', '--network', 'none', BUSYBOX, 'true'], { env: { SLIPWAY_TRACE: file } });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const id = r.stdout.trim();
      // nobody waits for this detached container: conmon's exit command records its exit
      expect(await until(() => readFileSync(file, 'utf8').includes(`container-cleanup --store ${s.root} ${id}`), 20_000)).toBe(true);
      const blocks = readFileSync(file, 'utf8').split(/^(?=slipway trace: )/m);
      expect(blocks).toHaveLength(2);
      expect(phases(blocks[0]!)).toContain('start: runc start');
      expect(await until(() => phases(readFileSync(file, 'utf8').split(/^(?=slipway trace: )/m)[1]!).includes('exit'), 20_000)).toBe(true);
      expect(phases(readFileSync(file, 'utf8').split(/^(?=slipway trace: )/m)[1]!)).toContain('exit: runc delete');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
