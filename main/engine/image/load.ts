import { imagesTable } from '../store/tables/images.js';
import type { Readable } from 'node:stream';
import { digestMismatch } from '../util/digest.js';
import { createHash } from 'node:crypto';
import type { Engine } from '../engine.js';
import { TarIndex, plainTarFile, type ArchiveEntry } from './archive.js';
import { LayerIngest } from './ingest.js';
import { chainIds } from './chain.js';
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { MediaTypes, hostArch, type Descriptor, type ImageConfig, type OCIIndex, type OCIManifest } from './types.js';
import { normalizeTagged, parseReference } from './reference.js';
import type { NewLayer } from './images.js';

export interface LoadedImage {
  id: string;
  /** normalized names given to it by this load */
  tags: string[];
  /** names that pointed at another image before this load (docker's "renaming" notice) */
  retagged: { name: string; previousId: string }[];
}

interface PlannedLayer {
  entry: ArchiveEntry;
  /** OCI: the descriptor's digest and media type; docker-archive: unknown until hashed */
  digest?: string;
  mediaType?: string;
}

interface PlannedImage {
  config: Buffer;
  diffIds: string[];
  layers: PlannedLayer[];
  manifest?: Buffer;
  tags: string[];
}

function bad(label: string, detail: string): never {
  throw new InvalidArgumentError(`${label} is not a valid image archive: ${detail}`);
}

function sha(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function parseJSON<T>(b: Buffer, label: string, what: string): T {
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch {
    bad(label, `${what} is not valid JSON`);
  }
}

function checkConfig(cfgBytes: Buffer, label: string, what: string): ImageConfig {
  const cfg = parseJSON<ImageConfig>(cfgBytes, label, what);
  const ids = cfg?.rootfs?.diff_ids;
  if (!cfg || typeof cfg !== 'object' || !Array.isArray(ids) || ids.some((d) => typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d))) {
    bad(label, `${what} has no valid rootfs.diff_ids`);
  }
  return cfg;
}

/** docker-archive: manifest.json lists Config, RepoTags and Layers by path inside the tar. */
function planDockerArchive(idx: TarIndex, label: string): PlannedImage[] {
  const items = idx.readJSON<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }[]>(idx.require('manifest.json', 'manifest'));
  if (!Array.isArray(items) || items.length === 0) bad(label, 'manifest.json lists no images');
  return items.map((it, n) => {
    if (typeof it?.Config !== 'string' || !Array.isArray(it.Layers)) bad(label, `manifest.json entry ${n + 1} has no Config or Layers`);
    const cfgBytes = idx.read(idx.require(it.Config, 'config'));
    const cfg = checkConfig(cfgBytes, label, `config "${it.Config}"`);
    if (cfg.rootfs.diff_ids.length !== it.Layers.length) {
      bad(label, `config "${it.Config}" lists ${cfg.rootfs.diff_ids.length} layers but manifest.json lists ${it.Layers.length}`);
    }
    const tags = (it.RepoTags ?? []).map((t) => {
      try {
        return normalizeTagged(t);
      } catch {
        bad(label, `manifest.json has an invalid tag "${t}"`);
      }
    });
    return {
      config: cfgBytes,
      diffIds: cfg.rootfs.diff_ids,
      layers: it.Layers.map((p) => ({ entry: idx.require(p, 'layer') })),
      tags,
    };
  });
}

function blobEntry(idx: TarIndex, d: Descriptor, label: string, what: string): ArchiveEntry {
  if (typeof d?.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) bad(label, `${what} has an invalid digest "${d?.digest}"`);
  return idx.require(`blobs/sha256/${d.digest.slice(7)}`, what);
}

function readBlob(idx: TarIndex, d: Descriptor, label: string, what: string): Buffer {
  const b = idx.read(blobEntry(idx, d, label, what));
  if (sha(b) !== d.digest) bad(label, digestMismatch(what, sha(b), d.digest));
  return b;
}

/** A name docker would give an OCI index entry: io.containerd.image.name, or a full ref.name. */
function ociName(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  const full = a['io.containerd.image.name'];
  const ref = a['org.opencontainers.image.ref.name'];
  for (const cand of [full, ref]) {
    // A bare ref.name such as "latest" (skopeo's oci:dir:latest) is a tag without a repository.
    if (!cand || !(cand.includes(':') || cand.includes('/'))) continue;
    try {
      const r = parseReference(cand);
      if (r.digest && !r.tag) continue;
      return normalizeTagged(cand);
    } catch {
      continue;
    }
  }
  return undefined;
}

/** OCI layout: index.json -> (nested indexes ->) manifests -> config + layer blobs. */
function planOCI(idx: TarIndex, label: string): PlannedImage[] {
  const index = idx.readJSON<OCIIndex>(idx.require('index.json', 'index'));
  if (!index || !Array.isArray(index.manifests) || index.manifests.length === 0) bad(label, 'index.json lists no manifests');
  const byManifest = new Map<string, PlannedImage>();
  const visit = (d: Descriptor, name: string | undefined, depth: number): void => {
    if (depth > 4) bad(label, 'indexes nested too deeply');
    const mt = d.mediaType;
    if (mt === MediaTypes.ociIndex || mt === MediaTypes.dockerManifestList) {
      const sub = parseJSON<OCIIndex>(readBlob(idx, d, label, 'index'), label, `index ${d.digest}`);
      const all = Array.isArray(sub.manifests) ? sub.manifests : [];
      const mine = all.filter((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === hostArch()));
      if (mine.length === 0) bad(label, `no image for linux/${hostArch()} in index ${d.digest}`);
      visit(mine[0]!, name ?? ociName(d), depth + 1);
      return;
    }
    const manBytes = readBlob(idx, d, label, 'manifest');
    const man = parseJSON<OCIManifest>(manBytes, label, `manifest ${d.digest}`);
    if (!man?.config || !Array.isArray(man.layers)) bad(label, `manifest ${d.digest} has no config or layers`);
    const planned = byManifest.get(d.digest);
    if (planned) {
      if (name && !planned.tags.includes(name)) planned.tags.push(name);
      return;
    }
    const cfgBytes = readBlob(idx, man.config, label, 'config');
    const cfg = checkConfig(cfgBytes, label, `config ${man.config.digest}`);
    if (cfg.rootfs.diff_ids.length !== man.layers.length) {
      bad(label, `config ${man.config.digest} lists ${cfg.rootfs.diff_ids.length} layers but its manifest lists ${man.layers.length}`);
    }
    byManifest.set(d.digest, {
      config: cfgBytes,
      diffIds: cfg.rootfs.diff_ids,
      layers: man.layers.map((l, i) => ({ entry: blobEntry(idx, l, label, `layer ${i + 1}`), digest: l.digest, mediaType: l.mediaType })),
      manifest: manBytes,
      tags: name ? [name] : [],
    });
  };
  for (const d of index.manifests) visit(d, ociName(d), 0);
  return [...byManifest.values()];
}

/**
 * `slipway load`: a docker-archive or OCI layout tar (plain or gzip, from a file or a stream)
 * into the store. Everything in the archive is validated before anything is written; a failure
 * part-way takes back what this load created.
 */
export async function loadArchive(engine: Engine, src: string | Readable, label = typeof src === 'string' ? src : 'stdin'): Promise<LoadedImage[]> {
  const images = engine.images;
  const blobs = engine.store.blobs;
  if (typeof src === 'string') {
    if (!existsSync(src)) throw new NotFoundError(`open ${src}: no such file or directory`);
    if (statSync(src).isDirectory()) throw new InvalidArgumentError(`${src} is a directory: load takes a tar archive (docker-archive or OCI layout)`);
  }
  const tar = await plainTarFile(src, () => blobs.tempPath(), label);
  const ingest = new LayerIngest(images);
  try {
    const idx = TarIndex.open(tar.path, label);
    const plan = idx.has('manifest.json') ? planDockerArchive(idx, label)
      : idx.has('index.json') ? planOCI(idx, label)
      : bad(label, 'it has neither manifest.json (docker-archive) nor index.json (OCI layout)');
    const out: LoadedImage[] = [];
    for (const p of plan) {
      const chains = chainIds(p.diffIds);
      const layers: NewLayer[] = [];
      for (let i = 0; i < p.layers.length; i++) {
        const l = p.layers[i]!;
        const what = `${label}: layer ${i + 1} of ${p.layers.length}`;
        const blob = await ingest.putBlob(idx.stream(l.entry), l.digest);
        layers.push(await ingest.layer(blob, l.mediaType, p.diffIds[i]!, chains[i]!, what));
      }
      const id = sha(p.config);
      const retagged: LoadedImage['retagged'] = [];
      for (const t of p.tags) {
        const prev = imagesTable.tagged(engine.store.db, t);
        if (prev && prev !== id) retagged.push({ name: t, previousId: prev });
      }
      const rec = images.add({ config: p.config, layers, tags: p.tags, manifest: p.manifest, lineage: { kind: 'load', detail: { archive: label } } });
      out.push({ id: rec.id, tags: p.tags, retagged });
    }
    return out;
  } finally {
    // Rolls back on failure, and on success drops content no row uses (e.g. the image was here already).
    ingest.rollback();
    ingest.close();
    tar.cleanup();
  }
}
