import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, sha, slipway, tarOf } from './cli.js';

const FIXTURE_ID = 'sha256:fbf678b4abc9e18fa9aa08e0594ff057ff465fb908c5fa2cd25fb35c559c0141';

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

const hasPodman = works('podman', ['version']);
const hasDocker = works('docker', ['info']);

describe('archives other engines write and read', () => {
  const { root, cleanup } = tempRoot('slipway-img-interop-');
  const work = mkdtempSync(join(tmpdir(), 'slipway-img-interop-out-'));
  const tag = `localhost/slipway-interop-${randomBytes(4).toString('hex')}:1`;
  const saved = join(work, 'saved.tar');
  beforeAll(() => {
    ensureBuilt();
    expect(slipway(root, ['load', '-q', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
    expect(slipway(root, ['tag', 'localhost/busybox', tag]).code).toBe(0);
    expect(slipway(root, ['save', '-o', saved, tag]).code).toBe(0);
  }, BUILD_TIMEOUT);
  afterAll(() => {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('loads a docker 25+ style archive (blobs/sha256 paths in manifest.json beside an OCI index)', async () => {
    const layer = await tarOf([{ h: { name: 'hello' }, data: Buffer.from('hi\n') }]);
    const cfg = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
    const man = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
    }));
    const b = (x: Buffer): string => `blobs/sha256/${sha(x).slice(7)}`;
    const arc = await tarOf([
      { h: { name: 'blobs', type: 'dir' } },
      { h: { name: 'blobs/sha256', type: 'dir' } },
      { h: { name: b(layer) }, data: layer },
      { h: { name: b(cfg) }, data: cfg },
      { h: { name: b(man) }, data: man },
      { h: { name: 'index.json' }, data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha(man), size: man.length, annotations: { 'io.containerd.image.name': 'docker.io/library/d25:1', 'org.opencontainers.image.ref.name': '1' } }] })) },
      { h: { name: 'manifest.json' }, data: Buffer.from(JSON.stringify([{ Config: b(cfg), RepoTags: ['d25:1'], Layers: [b(layer)] }])) },
      { h: { name: 'oci-layout' }, data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    ]);
    const file = join(work, 'd25.tar');
    writeFileSync(file, arc);
    const r = slipway(root, ['load', '-i', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Loaded image: d25:1\n');
    expect(slipway(root, ['inspect', '-f', '{{.Id}}', 'd25:1']).stdout.trim()).toBe(sha(cfg));
  });

  it.skipIf(!hasPodman)('podman load accepts our docker-archive and gets the same image ID', () => {
    const r = spawnSync('podman', ['load', '-i', saved], { encoding: 'utf8', timeout: 120_000 });
    try {
      expect(r.status, r.stderr).toBe(0);
      const id = spawnSync('podman', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).stdout.trim();
      expect(`sha256:${id}`).toBe(FIXTURE_ID);
    } finally {
      spawnSync('podman', ['rmi', tag], { stdio: 'ignore' });
    }
  });

  it.skipIf(!hasDocker)('docker load accepts our docker-archive and gets the same image ID', () => {
    const r = spawnSync('docker', ['load', '-i', saved], { encoding: 'utf8', timeout: 120_000 });
    try {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Loaded image: ${tag}`);
      const id = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).stdout.trim();
      expect(id).toBe(FIXTURE_ID);
    } finally {
      spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
    }
  });
});
