import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, BIN, ensureBuilt, handmadeArchive, slipway, tarOf } from './cli.js';

/** Problems a crash may leave: files nobody references yet (or any more). Never a row without content. */
const REPAIRABLE = new Set(['temp-file', 'orphan-blob', 'orphan-snapshot', 'orphan-layer-row', 'stale-index']);

/** Start `slipway ARGS`, SIGKILL it after `ms`, resolve when it is gone. Returns whether it finished first. */
function killAfter(root: string, args: string[], ms: number): Promise<{ finished: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: root }, stdio: 'ignore' });
    let finished = false;
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(t);
      finished = signal === null;
      resolve({ finished, code });
    });
  });
}

function timed(root: string, args: string[]): number {
  const t0 = Date.now();
  const r = slipway(root, args);
  expect(r.code, r.stderr).toBe(0);
  return Date.now() - t0;
}

/** The store after a crash: check may only find repairable leftovers; repair makes it clean. */
function assertRecoverable(root: string, what: string): string[] {
  const c = slipway(root, ['system', 'check']);
  const kinds = c.stdout.split('\n').filter(Boolean).filter((l) => !l.startsWith('Store OK')).map((l) => l.split(':')[0]!);
  for (const k of kinds) expect(REPAIRABLE.has(k), `${what}: unexpected problem "${k}":\n${c.stdout}`).toBe(true);
  if (kinds.length === 0) expect(c.code).toBe(0);
  else {
    expect(c.code).toBe(1);
    const rep = slipway(root, ['system', 'check', '--repair']);
    expect(rep.code, rep.stdout + rep.stderr).toBe(0);
  }
  const again = slipway(root, ['system', 'check']);
  expect(again.code, `${what}: not clean after --repair:\n${again.stdout}${again.stderr}`).toBe(0);
  // every image the store lists is whole: its inspect works
  for (const id of slipway(root, ['images', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) {
    expect(slipway(root, ['inspect', '-f', '{{len .RootFS.Layers}}', id]).code).toBe(0);
  }
  return kinds;
}

describe('kill -9 during load and rmi leaves a consistent store', () => {
  const { root, cleanup } = tempRoot('slipway-img-crash-');
  let big = '';
  beforeAll(async () => {
    ensureBuilt();
    // a bigger archive (4 layers of incompressible data) so kills land in every phase
    const layers = await Promise.all([0, 1, 2, 3].map((i) => tarOf([{ h: { name: `data-${i}` }, data: randomBytes(3 << 20) }])));
    big = join(root, '..', `${root.split('/').pop()}-big.tar`);
    writeFileSync(big, await handmadeArchive([{ layers, tags: ['big:1'] }]));
  }, BUILD_TIMEOUT);
  afterAll(() => cleanup());

  for (const [name, archive, tag] of [['the busybox docker-archive', 'fixture', 'localhost/busybox:latest'], ['a 4-layer 12 MB archive', 'big', 'big:1']] as const) {
    it(`load of ${name}`, async () => {
      const file = archive === 'fixture' ? join(FIXTURES, 'busybox-docker.tar') : big;
      const full = timed(root, ['load', '-i', file]);
      expect(slipway(root, ['rmi', tag]).code).toBe(0);
      const seen = new Set<string>();
      let killed = 0;
      for (let i = 0; i < 6; i++) {
        const ms = Math.floor(Math.random() * full * 1.1);
        const r = await killAfter(root, ['load', '-i', file], ms);
        if (!r.finished) killed++;
        for (const k of assertRecoverable(root, `load killed after ${ms} ms`)) seen.add(k);
        if (r.finished || slipway(root, ['images', '-q', tag]).stdout) slipway(root, ['rmi', tag]);
      }
      expect(killed).toBeGreaterThan(0);
      // and a load after all that works
      expect(slipway(root, ['load', '-i', file]).stdout).toBe(`Loaded image: ${tag}\n`);
      expect(slipway(root, ['system', 'check']).code).toBe(0);
    }, 300_000);
  }

  it('rmi', async () => {
    const file = big;
    const full = timed(root, ['rmi', 'big:1']);
    for (let i = 0; i < 5; i++) {
      if (!slipway(root, ['images', '-q', 'big:1']).stdout) {
        const l = slipway(root, ['load', '-i', file]);
        expect(l.code, l.stderr).toBe(0);
      }
      const ms = Math.floor(Math.random() * full * 1.1);
      await killAfter(root, ['rmi', 'big:1'], ms);
      assertRecoverable(root, `rmi killed after ${ms} ms`);
      // the image is either wholly there or wholly gone
      const listed = slipway(root, ['images', '-q', 'big:1']).stdout.trim();
      if (listed) expect(slipway(root, ['history', '-q', 'big:1']).code).toBe(0);
    }
  }, 300_000);
});
