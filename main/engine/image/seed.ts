import { imagesTable } from '../store/tables/images.js';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import type { Engine } from '../engine.js';
import type { ImageRecord } from './images.js';
import { TarWriter } from './tar-writer.js';
import { LayerIngest } from './ingest.js';
import { hostArch, MediaTypes, type ImageConfig } from './types.js';
import { normalizeTagged } from './reference.js';
import { NotFoundError } from '../model/errors.js';

export const SEED_NAME = 'docker.io/library/busybox:latest';
const EPOCH = 946684800; // 2000-01-01T00:00:00Z: fixed, so the same binary gives the same image ID
const CREATED = new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z');
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A static busybox on the host (busybox-static), or undefined. */
export function findHostBusybox(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', '/usr/local/bin/busybox']) {
    if (existsSync(p) && isStaticElf(realpathSync(p))) return p;
  }
  return undefined;
}

/** An ELF without a PT_INTERP program header needs no dynamic loader: it runs in an empty rootfs. */
export function isStaticElf(path: string): boolean {
  try {
    const b = readFileSync(path);
    if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
    const phoff = Number(b.readBigUInt64LE(0x20));
    const phentsize = b.readUInt16LE(0x36);
    const phnum = b.readUInt16LE(0x38);
    for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
    return true;
  } catch {
    return false;
  }
}

/** The rootfs tar: sorted, root-owned, fixed mtimes: the same binary always gives the same bytes. */
async function rootfsTar(busybox: string): Promise<Buffer> {
  const bin = readFileSync(busybox);
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'bin/busybox' && !s.includes('..'));
  const dirs = new Map<string, number>([
    ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o755], ['root', 0o700],
    ['sbin', 0o755], ['sys', 0o755], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
    ['var', 0o755],
  ]);
  for (const a of applets) {
    const parts = a.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) dirs.set(d, 0o755);
    }
  }
  type E = { name: string; run: (t: TarWriter) => Promise<void> };
  const entries: E[] = [];
  for (const [d, mode] of dirs) entries.push({ name: `${d}/`, run: (t) => t.entry({ name: d, type: 'dir', mode, mtime: EPOCH }) });
  entries.push({ name: 'bin/busybox', run: (t) => t.entry({ name: 'bin/busybox', mode: 0o755, mtime: EPOCH }, bin) });
  for (const a of applets) entries.push({ name: a, run: (t) => t.entry({ name: a, type: 'symlink', linkname: '/bin/busybox', mode: 0o777, mtime: EPOCH }) });
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
  const group = 'root:x:0:\nnobody:x:65534:\n';
  entries.push({ name: 'etc/passwd', run: (t) => t.entry({ name: 'etc/passwd', mode: 0o644, mtime: EPOCH }, Buffer.from(passwd)) });
  entries.push({ name: 'etc/group', run: (t) => t.entry({ name: 'etc/group', mode: 0o644, mtime: EPOCH }, Buffer.from(group)) });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const t = new TarWriter(out);
  for (const e of entries) await e.run(t);
  await t.finish();
  out.end();
  return Buffer.concat(chunks);
}

export interface SeedResult {
  image: ImageRecord;
  busybox: string;
}

/**
 * `slipway image seed`: busybox:latest made from the host's busybox-static, with no network:
 * /bin/busybox, one symlink per applet, /etc/passwd and /etc/group, /tmp 1777, PATH, Cmd sh.
 */
export async function seedBusybox(engine: Engine): Promise<SeedResult> {
  const busybox = findHostBusybox();
  if (!busybox) {
    throw new NotFoundError('no static busybox on this host to make a base image from: install it (apt-get install busybox-static), or load one with `slipway load -i FILE`');
  }
  const tar = await rootfsTar(busybox);
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const version = execFileSync(busybox, [], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? 'BusyBox';
  const ingest = new LayerIngest(engine.images);
  try {
    const blob = ingest.putBuffer(tar);
    const layer = await ingest.layer(blob, MediaTypes.ociLayer, diffId, diffId, 'busybox seed');
    const config: ImageConfig = {
      created: CREATED,
      architecture: hostArch(),
      os: 'linux',
      config: {
        Env: [PATH_ENV],
        Cmd: ['sh'],
        WorkingDir: '/',
        Labels: {
          'org.opencontainers.image.title': 'busybox (slipway seed)',
          'org.opencontainers.image.description': `${version}, made from the host's busybox-static`,
          'io.slipway.seed.source': busybox,
        },
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: CREATED, created_by: `slipway image seed: ${busybox} (busybox-static) from the host` }],
    };
    const image = engine.images.add({ config, layers: [layer], tags: [SEED_NAME], lineage: { kind: 'seed', detail: { source: busybox, version } } });
    return { image, busybox };
  } finally {
    // Rolls back on failure, and on success drops content no row uses (e.g. the image was here already).
    ingest.rollback();
    ingest.close();
  }
}

function isSeedRef(ref: string): boolean {
  try {
    return normalizeTagged(ref) === SEED_NAME;
  } catch {
    return false;
  }
}

/**
 * For `run`/`create`: the image `ref` if the store has it; on a store with no images at all,
 * `busybox`/`busybox:latest` is made from the host's busybox-static (one line on stderr says
 * so). Returns undefined when the image is absent and cannot be seeded.
 */
export async function ensureSeedImage(
  engine: Engine,
  ref: string,
  notify: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<ImageRecord | undefined> {
  const found = engine.images.find(ref);
  if (found) return found;
  if (!isSeedRef(ref)) return undefined;
  if (imagesTable.count(engine.store.db) > 0) return undefined;
  const { image, busybox } = await seedBusybox(engine);
  notify(`No images in the store: made busybox:latest (${image.id.slice(7, 19)}) from the host's busybox-static (${busybox}), no network needed`);
  return image;
}
