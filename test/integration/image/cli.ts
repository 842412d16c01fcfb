import { PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import { TarWriter, type TarHeader } from '../../../main/engine/image/tar-writer.js';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers/build.js';

export { REPO, ensureBuilt } from '../../helpers/build.js';
export const BIN = join(REPO, 'bin', 'slipway.js');

/** Time a beforeAll that builds may need on a loaded 2-core machine. */
export const BUILD_TIMEOUT = 600_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `slipway ARGS` as a user runs it, against the store at `root`. */
export function slipway(root: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Run {
  // `--` as bin/slipway.js's shebang has it: Node 20 would take a --env-file among the args as its own
  const r = spawnSync(process.execPath, ['--', BIN, ...args], {
    env: { ...process.env, SLIPWAY_ROOT: root, ...opts.env },
    input: typeof opts.input === 'string' ? Buffer.from(opts.input) : opts.input,
    maxBuffer: 64 << 20,
    encoding: 'buffer',
  });
  const res = { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  // 125 is an internal error: show it, whatever the test expected
  if (res.code === 125) console.error(`slipway ${args.join(' ')} -> 125\n${res.stderr}`);
  return res;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What is left in a store's content dirs (for "nothing left behind" checks). */
export function storeContent(root: string): { blobs: string[]; snapshots: string[]; tmp: string[] } {
  const ls = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
  return { blobs: ls(join(root, 'oci', 'blobs', 'sha256')), snapshots: ls(join(root, 'snapshots')), tmp: ls(join(root, 'tmp')) };
}


export const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A tar made in memory (layers and handmade archives for tests). */
export async function tarOf(entries: { h: TarHeader; data?: Buffer }[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const t = new TarWriter(out);
  for (const e of entries) await t.entry(e.h, e.data);
  await t.finish();
  out.end();
  return Buffer.concat(chunks);
}

/** A docker-archive holding images made of the given layers, config extras and tags. */
export async function handmadeArchive(images: { layers: Buffer[]; tags: string[]; config?: Record<string, unknown> }[]): Promise<Buffer> {
  const entries: { h: TarHeader; data?: Buffer }[] = [];
  const manifest: unknown[] = [];
  const seen = new Set<string>();
  for (const img of images) {
    const paths: string[] = [];
    for (const l of img.layers) {
      const p = `${sha(l).slice(7)}/layer.tar`;
      if (!seen.has(p)) entries.push({ h: { name: p }, data: l });
      seen.add(p);
      paths.push(p);
    }
    const cfg = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', created: '2020-01-01T00:00:00Z', config: { Cmd: ['sh'] },
      ...img.config,
      rootfs: { type: 'layers', diff_ids: img.layers.map(sha) },
    }));
    const name = `${sha(cfg).slice(7)}.json`;
    entries.push({ h: { name }, data: cfg });
    manifest.push({ Config: name, RepoTags: img.tags, Layers: paths });
  }
  entries.push({ h: { name: 'manifest.json' }, data: Buffer.from(JSON.stringify(manifest)) });
  return tarOf(entries);
}
