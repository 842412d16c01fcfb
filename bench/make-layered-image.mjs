// Write an OCI image layout with N uncompressed layers of M MB each (what a local build
// produces: Slipway stores built layers uncompressed). Each layer holds 1 MB files, half
// random bytes (incompressible, like binaries) and half repetitive text (like source/config),
// so gzip has real work of both kinds.
//   node bench/make-layered-image.mjs OUT_DIR [layers=5] [mbPerLayer=40]
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import tar from 'tar-stream';

const [out, nArg, mbArg] = process.argv.slice(2);
if (!out) throw new Error('usage: make-layered-image.mjs OUT_DIR [layers] [mbPerLayer]');
const layers = Number(nArg ?? 5);
const mb = Number(mbArg ?? 40);
const blobs = join(out, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });

const words = 'container image layer registry manifest digest overlay snapshot runtime commit build push pull'.split(' ');
function textMB(seed) {
  const parts = [];
  let n = 0;
  let i = seed;
  while (n < 1 << 20) {
    const line = `${i} ${words[i % words.length]} ${words[(i * 7) % words.length]} ${(i * 2654435761) % 1000003}\n`;
    parts.push(line);
    n += line.length;
    i++;
  }
  return Buffer.from(parts.join('')).subarray(0, 1 << 20);
}

async function writeLayer(idx) {
  const tmp = join(out, `layer-${idx}.tmp`);
  const hash = createHash('sha256');
  let size = 0;
  const pack = tar.pack();
  const file = createWriteStream(tmp);
  pack.on('data', (c) => {
    hash.update(c);
    size += c.length;
  });
  pack.pipe(file);
  pack.entry({ name: `layer${idx}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
  for (let f = 0; f < mb; f++) {
    const data = f % 2 === 0 ? randomBytes(1 << 20) : textMB(idx * 100000 + f * 1000);
    await new Promise((res, rej) => pack.entry({ name: `layer${idx}/f${f}`, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await new Promise((r) => file.on('finish', r));
  const digest = `sha256:${hash.digest('hex')}`;
  renameSync(tmp, join(blobs, digest.slice(7)));
  return { digest, size };
}

const ls = [];
for (let i = 0; i < layers; i++) ls.push(await writeLayer(i));
const config = Buffer.from(JSON.stringify({
  created: '2026-01-01T00:00:00Z', architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux',
  config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: ls.map((l) => l.digest) },
  history: ls.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
}));
const put = (buf) => {
  const d = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
  writeFileSync(join(blobs, d.slice(7)), buf);
  return { digest: d, size: buf.length };
};
const c = put(config);
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
  layers: ls.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
}));
const m = put(manifest);
writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(join(out, 'index.json'), JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }],
}));
console.log(`${out}: ${layers} layers x ${mb} MB, manifest ${m.digest}`);
