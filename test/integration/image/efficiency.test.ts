import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from './cli.js';

const MiB = 1 << 20;

describe('slipway image inspect --efficiency / image why-size', () => {
  const { root, cleanup } = tempRoot('slipway-img-eff-');
  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-q', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    const ctx = join(root, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/busybox\n# five MiB, gone in the next step\nRUN dd if=/dev/zero of=/big bs=1M count=5\nRUN rm /big\n');
    const b = slipway(root, ['build', '-q', '-t', 'waste', ctx]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
  }, BUILD_TIMEOUT);
  afterAll(() => cleanup());

  it('a 5 MiB file written in one RUN and deleted in the next is 5 MiB wasted, linked to its Dockerfile line', () => {
    const r = slipway(root, ['image', 'inspect', '--efficiency', '--format', 'json', 'waste']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.wastedBytes).toBe(5 * MiB);
    expect(e.score).toBeLessThan(1);
    expect(e.score).toBeGreaterThan(0);
    expect(e.wasted[0]).toMatchObject({ path: '/big', wastedBytes: 5 * MiB, present: false, occurrences: 2 });
    expect(e.largestFiles[0]).toMatchObject({ path: '/big', size: 5 * MiB, present: false });
    const heavy = e.layers.find((l: { wastedBytes: number }) => l.wastedBytes > 0);
    expect(heavy.dockerfile).toMatchObject({ line: 3, text: 'RUN dd if=/dev/zero of=/big bs=1M count=5' });
    expect(e.layers.at(-1).dockerfile).toMatchObject({ line: 4, text: 'RUN rm /big' });
  });

  it('why-size prints the human table', () => {
    const r = slipway(root, ['image', 'why-size', 'waste']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Wasted:\s+5\.24MB$/m);
    expect(r.stdout).toMatch(/^Efficiency:\s+\d+\.\d%$/m);
    expect(r.stdout).toMatch(/line 3: RUN dd if=\/dev\/zero of=\/big bs=1M count=5/);
    expect(r.stdout).toMatch(/5\.24MB\s+2\s+1,2\s+\/big \(deleted\)/);
  });

  it('an image without waste scores 100%', () => {
    const r = slipway(root, ['image', 'why-size', '--format', 'json', 'localhost/busybox']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.wastedBytes).toBe(0);
    expect(e.score).toBe(1);
    expect(slipway(root, ['image', 'why-size', 'localhost/busybox']).stdout).toMatch(/^Efficiency:\s+100\.0%$/m);
  });

  it('bad input: one line on stderr and docker\'s exit codes', () => {
    const missing = slipway(root, ['image', 'why-size', 'nosuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/No such image: nosuch/i);
    const fmt = slipway(root, ['image', 'inspect', '--efficiency', '--format', '{{.Id}}', 'waste']);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr.trim().split('\n')).toHaveLength(1);
  });
});
