import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { createReadStream, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway, sh } from './cli.js';
import { Engine } from '../../../main/engine/engine.js';
import { loadArchive } from '../../../main/engine/image/load.js';

const FIXTURE_ID = 'sha256:fbf678b4abc9e18fa9aa08e0594ff057ff465fb908c5fa2cd25fb35c559c0141';
const DIFF_ID = 'sha256:54c7ca1157e0c33d7199ac1eb7867d0d9fbbc69a6ed4a8d16c54395305a647bf';

describe('load / save', () => {
  const { root, cleanup } = tempRoot('slipway-img-load-');
  const work = mkdtempSync(join(tmpdir(), 'slipway-img-out-'));
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT);
  afterAll(() => {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('loads the podman docker-archive: tag and the config digest as ID', () => {
    const r = slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Loaded image: localhost/busybox:latest\n');
    const ls = slipway(root, ['images', '--no-trunc', '--format', '{{.Repository}} {{.Tag}} {{.ID}}']);
    expect(ls.stdout).toBe(`localhost/busybox latest ${FIXTURE_ID}\n`);
    const layers = slipway(root, ['inspect', '-f', '{{json .RootFS.Layers}}', 'localhost/busybox']);
    expect(layers.stdout.trim()).toBe(JSON.stringify([DIFF_ID]));
  });

  it('the loaded image has an unpacked snapshot with busybox in it', () => {
    const snap = join(root, 'snapshots', DIFF_ID.slice(7));
    expect(existsSync(join(snap, 'bin', 'busybox'))).toBe(true);
  });

  it('loads the skopeo OCI layout (gzip layer) into a fresh store with the same image ID, blob kept gzip', async () => {
    const t = tempRoot('slipway-img-oci-');
    const engine = new Engine(t.root);
    try {
      const res = await loadArchive(engine, createReadStream(join(FIXTURES, 'busybox-oci.tar')), 'stdin');
      expect(res.map((r) => r.id)).toEqual([FIXTURE_ID]);
      // ref.name "latest" names no repository: docker reports the ID only
      expect(res[0]!.tags).toEqual([]);
      const img = engine.images.resolve(FIXTURE_ID);
      expect(img.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      expect(img.layers[0]!.blobDigest).toBe('sha256:b5fb1a33b77ffa8f888acdfdef4dda3c57a79517d1a5cdcce3f2c340d304d228');
      // the manifest is kept byte for byte, so its digest survives
      expect(img.manifestDigest).toBe('sha256:da1b479d599252f02982153cb41ce4ea75c6e941cbb6e9b27a3f14172281f5a7');
      expect(img.layers[0]!.diffId).toBe(DIFF_ID);
    } finally {
      engine.close();
      t.cleanup();
    }
  });

  it('loads from stdin and a gzip-compressed archive as a whole', () => {
    const t = tempRoot('slipway-img-gz-');
    try {
      const gz = join(work, 'bb.tar.gz');
      execFileSync('sh', ['-c', `gzip -c ${join(FIXTURES, 'busybox-docker.tar')} > ${gz}`]);
      const r = slipway(t.root, ['load'], { input: readFileSync(gz) });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('Loaded image: localhost/busybox:latest\n');
      expect(slipway(t.root, ['system', 'check']).code).toBe(0);
    } finally {
      t.cleanup();
    }
  });

  it('save -> rmi -> load gives the same ID, and skopeo reads both archive formats', () => {
    const dock = join(work, 'save.tar');
    const oci = join(work, 'save-oci.tar');
    expect(slipway(root, ['tag', 'localhost/busybox', 'me/bb:v1']).code).toBe(0);
    const s1 = slipway(root, ['save', '-o', dock, 'me/bb:v1']);
    expect(s1.stderr).toBe('');
    expect(s1.code).toBe(0);
    const s2 = slipway(root, ['save', '--format', 'oci-archive', '-o', oci, 'me/bb:v1']);
    expect(s2.code).toBe(0);

    const dInfo = JSON.parse(sh('skopeo', ['inspect', `docker-archive:${dock}`])) as { Layers: string[] };
    expect(dInfo.Layers).toEqual([DIFF_ID]);
    const oInfo = JSON.parse(sh('skopeo', ['inspect', `oci-archive:${oci}`])) as { Digest: string; Labels: Record<string, string> };
    expect(oInfo.Labels['org.opencontainers.image.title']).toBe('slipway-busybox');

    const names = execFileSync('tar', ['tf', dock], { encoding: 'utf8' }).split('\n');
    expect(names).toContain('manifest.json');
    expect(names).toContain('repositories');
    const manifest = JSON.parse(execFileSync('tar', ['xOf', dock, 'manifest.json'], { encoding: 'utf8' })) as { RepoTags: string[] }[];
    expect(manifest[0]!.RepoTags).toEqual(['me/bb:v1']);

    const rm = slipway(root, ['rmi', 'me/bb:v1', 'localhost/busybox']);
    expect(rm.stdout).toContain('Untagged: me/bb:v1');
    expect(rm.stdout).toContain(`Deleted: ${FIXTURE_ID}`);
    expect(slipway(root, ['images', '-q']).stdout).toBe('');
    const again = slipway(root, ['load', '-i', dock]);
    expect(again.stdout).toBe('Loaded image: me/bb:v1\n');
    expect(slipway(root, ['inspect', '-f', '{{.Id}}', 'me/bb:v1']).stdout.trim()).toBe(FIXTURE_ID);
    // and the OCI archive loads to the same image under the same name
    slipway(root, ['rmi', 'me/bb:v1']);
    expect(slipway(root, ['load', '-i', oci]).stdout).toBe('Loaded image: me/bb:v1\n');
    expect(slipway(root, ['inspect', '-f', '{{.Id}}', 'me/bb:v1']).stdout.trim()).toBe(FIXTURE_ID);
    expect(slipway(root, ['system', 'check']).code).toBe(0);
  });

  it('a failed save leaves no file behind', () => {
    const dest = join(work, 'never.tar');
    const r = slipway(root, ['save', '-o', dest, 'me/bb:v1', 'no-such-image']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: No such image: no-such-image\n');
    expect(existsSync(dest)).toBe(false);
  });

  it('save streams to stdout when it is not a terminal', () => {
    const r = execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'bin', 'slipway.js'), 'save', 'me/bb:v1'], {
      env: { ...process.env, SLIPWAY_ROOT: root },
      maxBuffer: 64 << 20,
    });
    const dest = join(work, 'stdout.tar');
    execFileSync('sh', ['-c', `cat > ${dest}`], { input: r });
    expect(JSON.parse(sh('skopeo', ['inspect', `docker-archive:${dest}`])).Layers).toEqual([DIFF_ID]);
  });

  it('skopeo and umoci read the store itself as an OCI layout', () => {
    const info = JSON.parse(sh('skopeo', ['inspect', `oci:${root}/oci:me/bb:v1`])) as { Layers: string[] };
    expect(info.Layers.length).toBe(1);
    const bundle = join(work, 'umoci-bundle');
    sh('umoci', ['unpack', '--image', `${root}/oci:me/bb:v1`, bundle]);
    expect(existsSync(join(bundle, 'rootfs', 'bin', 'busybox'))).toBe(true);
    const copy = join(work, 'copied.tar');
    sh('skopeo', ['copy', `oci:${root}/oci:me/bb:v1`, `docker-archive:${copy}:copied/bb:1`]);
    const t = tempRoot('slipway-img-copy-');
    try {
      expect(slipway(t.root, ['load', '-i', copy]).stdout).toBe('Loaded image: copied/bb:1\n');
    } finally {
      t.cleanup();
    }
  });
});
