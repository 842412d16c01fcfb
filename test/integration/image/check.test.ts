import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway } from './cli.js';

const CONFIG_HEX = 'fbf678b4abc9e18fa9aa08e0594ff057ff465fb908c5fa2cd25fb35c559c0141';
const LAYER_HEX = '54c7ca1157e0c33d7199ac1eb7867d0d9fbbc69a6ed4a8d16c54395305a647bf';

describe('system check', () => {
  const { root, cleanup } = tempRoot('slipway-img-check-');
  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-q', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
  }, BUILD_TIMEOUT);
  afterAll(() => cleanup());

  const check = (repair = false) => slipway(root, ['system', 'check', ...(repair ? ['--repair'] : [])]);

  it('a healthy store checks clean', () => {
    const r = check();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Store OK: 1 image(s), 3 blob(s) verified\n');
  });

  it('finds temp files of dead processes, an orphan snapshot and a stale index; --repair fixes them', () => {
    writeFileSync(join(root, 'tmp', 'blob-999999-0123456789ab'), 'half a blob');
    mkdirSync(join(root, 'snapshots', '.tmp-0011223344556677-999999-abcdef12'));
    mkdirSync(join(root, 'snapshots', 'ab'.repeat(32)));
    const index = join(root, 'oci', 'index.json');
    const good = readFileSync(index, 'utf8');
    writeFileSync(index, JSON.stringify({ schemaVersion: 2, manifests: [] }));
    const r = check();
    expect(r.code).toBe(1);
    const kinds = r.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[0]).sort();
    expect(kinds).toEqual(['orphan-snapshot', 'stale-index', 'temp-file', 'temp-file']);
    expect(r.stderr).toMatch(/^Error: 4 problem\(s\) found in the store; run `slipway system check --repair`/);
    const rep = check(true);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/4 problem\(s\) repaired/);
    expect(JSON.parse(readFileSync(index, 'utf8'))).toEqual(JSON.parse(good));
    expect(check().code).toBe(0);
  });

  it('a missing snapshot is unpacked again from its blob', () => {
    rmSync(join(root, 'snapshots', LAYER_HEX), { recursive: true });
    const r = check();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^missing-snapshot: layer sha256:54c7ca11/);
    expect(check(true).stdout).toMatch(/unpacked again from blob/);
    expect(existsSync(join(root, 'snapshots', LAYER_HEX, 'bin', 'busybox'))).toBe(true);
    expect(check().code).toBe(0);
  });

  it('a corrupt config blob is found; --repair drops the image whose content is gone', () => {
    appendFileSync(join(root, 'oci', 'blobs', 'sha256', CONFIG_HEX), 'x');
    const r = check();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^corrupt-blob: blob sha256:${CONFIG_HEX}: content digest is sha256:`, 'm'));
    expect(r.stdout).toMatch(/missing-blob: image sha256:fbf678b4abc9.*config blob/);
    const rep = check(true);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toMatch(/dropped the image rows/);
    expect(slipway(root, ['images', '-aq']).stdout).toBe('');
    expect(check().code).toBe(0);
    // and the content can simply be loaded again
    expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).stdout).toBe('Loaded image: localhost/busybox:latest\n');
    expect(check().code).toBe(0);
  });
});
