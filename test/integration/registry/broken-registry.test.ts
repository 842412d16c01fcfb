import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { readdirSync } from 'node:fs';
import tar from 'tar-stream';
import { tempEngine } from '../../helpers/tmp-store.js';
import { pull, type TransferEvent } from '../../../main/engine/registry/index.js';
import { MediaTypes, hostArch } from '../../../main/engine/image/types.js';
import type { Engine } from '../../../main/engine/engine.js';
import { checkStore } from '../../../main/engine/store/check.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layerTar(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const [name, data] of Object.entries(files)) pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

interface FakeImage {
  manifest: Buffer;
  blobs: Map<string, Buffer>;
  layers: string[];
}

async function makeImage(layerFiles: Record<string, Buffer>[]): Promise<FakeImage> {
  const blobs = new Map<string, Buffer>();
  const diffIds: string[] = [];
  const layers: { mediaType: string; digest: string; size: number }[] = [];
  for (const files of layerFiles) {
    const plain = await layerTar(files);
    const gz = gzipSync(plain);
    diffIds.push(sha(plain));
    blobs.set(sha(gz), gz);
    layers.push({ mediaType: MediaTypes.ociLayerGzip, digest: sha(gz), size: gz.length });
  }
  const config = Buffer.from(JSON.stringify({ architecture: hostArch(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  blobs.set(sha(config), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, digest: sha(config), size: config.length },
    layers,
  }));
  return { manifest, blobs, layers: layers.map((l) => l.digest) };
}

/** How the fake registry misbehaves for one blob digest. */
type Fault = 'truncate' | 'truncate-once' | 'mismatch' | 'stall';

let server: http.Server;
let addr = '';
let image: FakeImage;
let faults = new Map<string, Fault>();
let blobGets = new Map<string, number>();
let env: ReturnType<typeof tempEngine>;
let engine: Engine;

beforeAll(async () => {
  image = await makeImage([{ 'small.txt': Buffer.from('hello\n') }, { 'big.bin': randomBytes(512 * 1024) }]);
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    if (url.startsWith('/v2/garbage/manifests/')) {
      return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>');
    }
    if (url === '/v2/zstd/manifests/1') {
      const m = JSON.parse(image.manifest.toString()) as { layers: { mediaType: string }[] };
      m.layers[0]!.mediaType = MediaTypes.ociLayerZstd;
      return void res.writeHead(200, { 'Content-Type': MediaTypes.ociManifest }).end(JSON.stringify(m));
    }
    if (url === '/v2/img/manifests/1') {
      return void res.writeHead(200, { 'Content-Type': MediaTypes.ociManifest, 'Content-Length': image.manifest.length }).end(image.manifest);
    }
    const m = /^\/v2\/img\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    const blob = m && image.blobs.get(m[1]!);
    if (!m || !blob) return void res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
    const digest = m[1]!;
    blobGets.set(digest, (blobGets.get(digest) ?? 0) + 1);
    const fault = faults.get(digest);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.length });
    if (fault === 'truncate-once') faults.delete(digest);
    if (fault === 'truncate' || fault === 'truncate-once') {
      // Half the promised bytes, then the connection drops.
      res.write(blob.subarray(0, blob.length >> 1), () => res.destroy());
      return;
    }
    if (fault === 'stall') {
      // Half the bytes, then nothing: only a cancel ends this download.
      res.write(blob.subarray(0, blob.length >> 1));
      return;
    }
    if (fault === 'mismatch') {
      const wrong = Buffer.from(blob);
      wrong[wrong.length - 20] ^= 0xff;
      return void res.end(wrong);
    }
    res.end(blob);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

beforeEach(() => {
  env?.cleanup();
  env = tempEngine();
  engine = env.engine;
  faults = new Map();
  blobGets = new Map();
  return () => env.cleanup();
});

function blobFiles(e: Engine): string[] {
  return readdirSync(e.store.paths.blobsDir).map((h) => `sha256:${h}`);
}

/** Nothing half-written anywhere: no temp blobs, no half-unpacked snapshot dirs, no image rows, and `system check` finds nothing. */
async function assertNothingHalfStored(e: Engine): Promise<void> {
  // A failed layer's temp blob is removed as its write stream closes, which can come a few ms
  // after the pull has already rejected (seen once in a loaded CI-like run): allow 3 s for that,
  // then insist the store is clean.
  for (let i = 0; i < 30 && readdirSync(e.store.paths.tmp).length; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await checkStore(e.store)).problems).toEqual([]);
  expect(readdirSync(e.store.paths.tmp)).toEqual([]);
  expect(readdirSync(e.store.paths.snapshots).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  expect(e.images.list()).toEqual([]);
}

describe('a registry that misbehaves', () => {
  it('answering garbage for a manifest: a clear error, nothing stored', async () => {
    await expect(pull(engine, `${addr}/garbage:1`)).rejects.toThrow(`${addr}/garbage:1 answered with something that is not a manifest (not JSON)`);
    await assertNothingHalfStored(engine);
    expect(blobFiles(engine)).toEqual([]);
    expect(readdirSync(engine.store.paths.snapshots)).toEqual([]);
  });

  it('a zstd layer is refused up front on a Node without zstd, before anything is fetched', async () => {
    const hasZstd = typeof (await import('node:zlib') as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
    if (hasZstd) return; // Node 22.15+ unpacks zstd; nothing to refuse
    await expect(pull(engine, `${addr}/zstd:1`)).rejects.toThrow(/is zstd-compressed, which Node .* cannot decompress \(Node 22\.15\+ can\); pull a gzip variant/);
    expect(blobGets.size).toBe(0);
    await assertNothingHalfStored(engine);
  });

  it('a truncated blob fails the pull and leaves no part of that layer', async () => {
    const big = image.layers[1]!;
    faults.set(big, 'truncate');
    await expect(pull(engine, `${addr}/img:1`)).rejects.toThrow(/layer [0-9a-f]{12} of .*img:1: (download failed|.*truncated|.*closed the connection early)/);
    expect(blobGets.get(big)).toBe(3); // the first try and two retries
    await assertNothingHalfStored(engine);
    expect(blobFiles(engine)).not.toContain(big);
  });

  it('a connection that drops once is retried, and the pull succeeds', async () => {
    const big = image.layers[1]!;
    faults.set(big, 'truncate-once');
    const res = await pull(engine, `${addr}/img:1`);
    expect(blobGets.get(big)).toBe(2);
    expect(res.image.layers.map((l) => l.blobDigest)).toEqual(image.layers);
    expect((await checkStore(engine.store)).problems).toEqual([]);
  });

  it('a blob whose bytes do not match its digest is refused before it is stored', async () => {
    const big = image.layers[1]!;
    faults.set(big, 'mismatch');
    await expect(pull(engine, `${addr}/img:1`)).rejects.toThrow(new RegExp(`^downloaded blob: content is sha256:[0-9a-f]{12}, expected ${big.slice(0, 19)}$`));
    expect(blobGets.get(big)).toBe(1); // not retried: the same bytes would come again
    await assertNothingHalfStored(engine);
    expect(blobFiles(engine)).not.toContain(big);
  });

  it('a cancelled pull stops at once and leaves nothing half-stored', async () => {
    faults.set(image.layers[1]!, 'stall');
    const abort = new AbortController();
    const events: TransferEvent[] = [];
    const pulling = pull(engine, `${addr}/img:1`, { signal: abort.signal }, (e) => {
      events.push(e);
      if (e.kind === 'layer' && e.layer.digest === image.layers[1] && e.layer.status === 'downloading') setTimeout(() => abort.abort(), 100);
    });
    await expect(pulling).rejects.toThrow(`pull of ${addr}/img:1 cancelled`);
    await assertNothingHalfStored(engine);
    expect(blobFiles(engine)).not.toContain(image.layers[1]);
  });

  it('resumes by layer: a retry downloads only the layer that failed', async () => {
    const [small, big] = image.layers as [string, string];
    faults.set(big, 'truncate');
    await expect(pull(engine, `${addr}/img:1`)).rejects.toThrow();
    // The finished layer stays, whole and verified, and counts as in use for system check.
    expect(blobFiles(engine)).toContain(small);
    await assertNothingHalfStored(engine);
    expect(blobGets.get(small)).toBe(1);
    faults.clear();
    const events: TransferEvent[] = [];
    const res = await pull(engine, `${addr}/img:1`, {}, (e) => events.push(e));
    expect(blobGets.get(small)).toBe(1);
    const final = new Map<string, string>();
    for (const e of events) if (e.kind === 'layer') final.set(e.layer.digest, e.layer.status);
    expect(final.get(small)).toBe('exists');
    expect(final.get(big)).toBe('complete');
    expect(res.image.layers.map((l) => l.blobDigest)).toEqual([small, big]);
    expect(readdirSync(engine.store.paths.tmp)).toEqual([]);
    expect((await checkStore(engine.store)).problems).toEqual([]);
    expect(engine.store.db.prepare('SELECT COUNT(*) AS n FROM pull_partials').get()).toEqual({ n: 0 });
  });
});
