import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine.js';
import type { ImageRecord } from './images.js';
import { TarWriter } from './tar-writer.js';
import { familiarName, normalizeTagged, splitRepoTag } from './reference.js';
import { MediaTypes, type Descriptor, type OCIIndex } from './types.js';
import { hexOf } from '../util/digest.js';
import { isGzip, sniff } from './archive.js';
import { InvalidArgumentError } from '../model/errors.js';
import { writeStreamAtomic } from '../util/atomic.js';

export type SaveFormat = 'docker-archive' | 'oci-archive';

interface Selected {
  img: ImageRecord;
  /** normalized names to write for it (only those the user named, as docker does) */
  names: string[];
}

/** Which images and names `save a b:1 <id>` means: a bare repository saves all its tags. */
function select(engine: Engine, refs: string[]): Selected[] {
  const out = new Map<string, Selected>();
  for (const ref of refs) {
    const img = engine.images.resolve(ref);
    const sel = out.get(img.id) ?? { img, names: [] };
    out.set(img.id, sel);
    const hex = ref.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(hex) && img.id.startsWith(`sha256:${hex}`)) continue;
    let names: string[];
    try {
      names = [normalizeTagged(ref)];
    } catch {
      names = [];
    }
    if (!ref.includes(':') && !ref.includes('@')) {
      // `docker save busybox` writes every tag of the repository
      const repo = names[0]?.replace(/:latest$/, '');
      names = img.tags.filter((t) => t.startsWith(`${repo}:`));
    }
    for (const n of names) if (img.tags.includes(n) && !sel.names.includes(n)) sel.names.push(n);
  }
  return [...out.values()];
}

/** A layer's uncompressed tar stream (gzip blobs are inflated: docker-archives carry plain layers). */
function plainLayer(engine: Engine, blobDigest: string): Readable {
  const s = engine.store.blobs.stream(blobDigest);
  return isGzip(sniff(engine.store.blobs.path(blobDigest), 2)) ? s.pipe(createGunzip()) : s;
}

/**
 * docker-archive in the layout docker 1.10-24 writes and both `docker load` and `podman load`
 * read: <v1id>/layer.tar (+VERSION, json), <config hex>.json, manifest.json, repositories.
 * The v1 layer IDs are derived from the chainIDs, so shared layers are written once.
 */
async function writeDockerArchive(engine: Engine, sel: Selected[], out: Writable): Promise<void> {
  const tar = new TarWriter(out);
  const written = new Set<string>();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { img, names } of sel) {
    const layers: string[] = [];
    let parent = '';
    for (const l of img.layers) {
      const v1 = createHash('sha256').update(`slipway-v1 ${l.chainId}`).digest('hex');
      if (!written.has(v1)) {
        written.add(v1);
        await tar.entry({ name: v1, type: 'dir', mode: 0o755 });
        await tar.entry({ name: `${v1}/VERSION` }, Buffer.from('1.0'));
        const json: Record<string, unknown> = { id: v1, created: '1970-01-01T00:00:00Z', container_config: { Cmd: null } };
        if (parent) json.parent = parent;
        await tar.entry({ name: `${v1}/json` }, Buffer.from(JSON.stringify(json)));
        await tar.entry({ name: `${v1}/layer.tar`, size: l.size }, plainLayer(engine, l.blobDigest));
      }
      layers.push(`${v1}/layer.tar`);
      parent = v1;
    }
    const cfgName = `${hexOf(img.configDigest)}.json`;
    if (!written.has(cfgName)) {
      written.add(cfgName);
      await tar.entry({ name: cfgName }, engine.store.blobs.read(img.configDigest));
    }
    const tags = names.map(familiarName);
    manifest.push({ Config: cfgName, RepoTags: tags.length ? tags : null, Layers: layers });
    for (const n of names) {
      const [repo, tag] = splitRepoTag(n);
      (repositories[repo] ??= {})[tag] = parent;
    }
  }
  await tar.entry({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)));
  if (Object.keys(repositories).length) await tar.entry({ name: 'repositories' }, Buffer.from(JSON.stringify(repositories)));
  await tar.finish();
}

/**
 * oci-archive: an OCI image layout tar with the stored manifest, config and layer blobs as they
 * are (manifest digests survive). index.json names each entry as docker 25+ does
 * (io.containerd.image.name) and with the familiar name in ref.name, as our store does.
 */
async function writeOciArchive(engine: Engine, sel: Selected[], out: Writable): Promise<void> {
  const tar = new TarWriter(out);
  const blobs = engine.store.blobs;
  const written = new Set<string>();
  const manifests: Descriptor[] = [];
  await tar.entry({ name: 'oci-layout' }, Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await tar.entry({ name: 'blobs', type: 'dir' });
  await tar.entry({ name: 'blobs/sha256', type: 'dir' });
  const put = async (digest: string): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    await tar.entry({ name: `blobs/sha256/${hexOf(digest)}`, size: blobs.size(digest) }, blobs.stream(digest));
  };
  for (const { img, names } of sel) {
    for (const l of img.layers) await put(l.blobDigest);
    await put(img.configDigest);
    await put(img.manifestDigest);
    const man = JSON.parse(blobs.read(img.manifestDigest).toString('utf8')) as { mediaType?: string };
    const base: Descriptor = { mediaType: man.mediaType ?? MediaTypes.ociManifest, digest: img.manifestDigest, size: blobs.size(img.manifestDigest) };
    if (names.length === 0) manifests.push(base);
    for (const n of names) {
      manifests.push({ ...base, annotations: { 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': familiarName(n) } });
    }
  }
  const index: OCIIndex = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
  await tar.entry({ name: 'index.json' }, Buffer.from(JSON.stringify(index)));
  await tar.finish();
}

/**
 * `slipway save`: write the images to `dest` (a path: written to a temp file beside it, fsynced
 * and renamed, so a failed save never leaves a half file) or to a stream (stdout).
 */
export async function saveImages(engine: Engine, refs: string[], dest: string | Writable, format: SaveFormat = 'docker-archive'): Promise<void> {
  if (refs.length === 0) throw new InvalidArgumentError('"save" requires at least 1 image');
  if (format !== 'docker-archive' && format !== 'oci-archive') {
    throw new InvalidArgumentError(`unknown format "${format}": use docker-archive or oci-archive`);
  }
  const sel = select(engine, refs);
  const write = format === 'oci-archive' ? writeOciArchive : writeDockerArchive;
  if (typeof dest !== 'string') {
    await write(engine, sel, dest);
    return;
  }
  await writeStreamAtomic(dest, (out) => write(engine, sel, out));
}
