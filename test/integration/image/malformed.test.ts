import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PassThrough } from 'node:stream';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BUILD_TIMEOUT, ensureBuilt, slipway, storeContent } from './cli.js';
import { TarWriter, type TarHeader } from '../../../main/engine/image/tar-writer.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(entries: { h: TarHeader; data?: Buffer }[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const t = new TarWriter(out);
  for (const e of entries) await t.entry(e.h, e.data);
  await t.finish();
  out.end();
  return Buffer.concat(chunks);
}

function config(diffIds: string[]): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
}

async function dockerArchive(layer: Buffer, diffIds: string[], layerPath = 'l1/layer.tar', extra: { h: TarHeader; data?: Buffer }[] = []): Promise<Buffer> {
  const cfg = config(diffIds);
  const cfgName = `${sha(cfg).slice(7)}.json`;
  return tarOf([
    { h: { name: 'l1/layer.tar' }, data: layer },
    { h: { name: cfgName }, data: cfg },
    ...extra,
    { h: { name: 'manifest.json' }, data: Buffer.from(JSON.stringify([{ Config: cfgName, RepoTags: ['bad/image:1'], Layers: [layerPath] }])) },
  ]);
}

describe('malformed and malicious archives', () => {
  const work = mkdtempSync(join(tmpdir(), 'slipway-img-bad-'));
  const { root, cleanup } = tempRoot('slipway-img-bad-store-');
  beforeAll(() => ensureBuilt(), BUILD_TIMEOUT);
  afterAll(() => {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  /** Load must fail with one clear line, exit 1, and leave the store as empty as it found it. */
  function refuses(name: string, data: Buffer, message: RegExp): string {
    const file = join(work, name);
    writeFileSync(file, data);
    const r = slipway(root, ['load', '-i', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: /);
    expect(r.stderr).toMatch(message);
    expect(slipway(root, ['images', '-q', '-a']).stdout).toBe('');
    const left = storeContent(root);
    expect(left).toEqual({ blobs: [], snapshots: [], tmp: [] });
    expect(slipway(root, ['system', 'check']).code).toBe(0);
    return r.stderr;
  }

  it('a truncated archive', () => {
    refuses('truncated.tar', readFileSync(join(FIXTURES, 'busybox-docker.tar')).subarray(0, 1_000_000), /truncated/);
  });

  it('a file that is not a tar', () => {
    refuses('text.tar', Buffer.from('this is not an image archive at all\n'.repeat(40)), /not a tar archive/);
  });

  it('an empty file', () => {
    refuses('empty.tar', Buffer.alloc(0), /empty/);
  });

  it('a truncated gzip archive', () => {
    const gz = gzipSync(readFileSync(join(FIXTURES, 'busybox-docker.tar')));
    refuses('truncated.tar.gz', gz.subarray(0, gz.length / 2), /gzip stream is corrupt or truncated/);
  });

  it('a tar with neither manifest.json nor index.json', async () => {
    refuses('plain.tar', await tarOf([{ h: { name: 'hello.txt' }, data: Buffer.from('hi') }]), /neither manifest.json .* nor index.json/);
  });

  it('a manifest pointing to a missing layer file', async () => {
    const layer = await tarOf([{ h: { name: 'a.txt' }, data: Buffer.from('a') }]);
    refuses('missing.tar', await dockerArchive(layer, [sha(layer)], 'nope/layer.tar'), /layer "nope\/layer.tar" is missing/);
  });

  it('a manifest reaching outside the archive with ..', async () => {
    const layer = await tarOf([{ h: { name: 'a.txt' }, data: Buffer.from('a') }]);
    refuses('dotdot.tar', await dockerArchive(layer, [sha(layer)], '../../etc/passwd'), /is missing from the archive/);
  });

  it('a layer whose content does not match the config diff_id', async () => {
    const layer = await tarOf([{ h: { name: 'a.txt' }, data: Buffer.from('a') }]);
    const other = `sha256:${'1'.repeat(64)}`;
    const line = refuses('mismatch.tar', await dockerArchive(layer, [other]), /layer 1 of 1: content is sha256:[0-9a-f]{12}, expected sha256:111111111111 by the image config \(the archive is corrupt or was tampered with\)$/m);
    // one readable line: the user's file, the layer's index and short digests (no temp paths, no full digests)
    expect(line).toBe(`Error: ${join(work, 'mismatch.tar')}: layer 1 of 1: content is ${sha(layer).slice(0, 19)}, expected sha256:111111111111 by the image config (the archive is corrupt or was tampered with)\n`);
  });

  it('a layer with a path traversal entry', async () => {
    const layer = await tarOf([
      { h: { name: 'ok.txt' }, data: Buffer.from('fine') },
      { h: { name: '../../../tmp/slipway-escaped' }, data: Buffer.from('pwned') },
    ]);
    refuses('traversal.tar', await dockerArchive(layer, [sha(layer)]), /unsafe|outside|\.\./i);
  });

  it('a layer writing through a symlink that points outside', async () => {
    const layer = await tarOf([
      { h: { name: 'evil', type: 'symlink', linkname: '/tmp' } },
      { h: { name: 'evil/slipway-escaped-2' }, data: Buffer.from('pwned') },
    ]);
    refuses('symlink.tar', await dockerArchive(layer, [sha(layer)]), /unsafe|symlink/i);
  });

  it('an OCI index whose manifest digest does not match its content', async () => {
    const layer = await tarOf([{ h: { name: 'a.txt' }, data: Buffer.from('a') }]);
    const cfg = config([sha(layer)]);
    const man = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(cfg), size: cfg.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }] }));
    const lying = `sha256:${'2'.repeat(64)}`;
    const arc = await tarOf([
      { h: { name: 'oci-layout' }, data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
      { h: { name: `blobs/sha256/${sha(layer).slice(7)}` }, data: layer },
      { h: { name: `blobs/sha256/${sha(cfg).slice(7)}` }, data: cfg },
      { h: { name: `blobs/sha256/${lying.slice(7)}` }, data: man },
      { h: { name: 'index.json' }, data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: lying, size: man.length }] })) },
    ]);
    refuses('oci-lying.tar', arc, /manifest: content is sha256:[0-9a-f]{12}, expected sha256:222222222222$/m);
  });

  it('nothing escaped', () => {
    expect(() => readFileSync('/tmp/slipway-escaped')).toThrow();
    expect(() => readFileSync('/tmp/slipway-escaped-2')).toThrow();
  });

  it('a well-formed handmade archive still loads (the checks are not over-eager)', async () => {
    const layer = await tarOf([{ h: { name: 'etc', type: 'dir' } }, { h: { name: 'etc/hello' }, data: Buffer.from('hello\n') }]);
    const file = join(work, 'good.tar');
    writeFileSync(file, await dockerArchive(layer, [sha(layer)]));
    const r = slipway(root, ['load', '-i', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Loaded image: bad/image:1\n');
  });
});
