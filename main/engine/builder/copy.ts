import { closeSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import { chmodSync, copyFileSync, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, posix } from 'node:path';
import type { BuildContext, ContextEntry } from './context.js';
import type { LayerView } from './fsview.js';
import type { FileHashCache } from './cache.js';
import type { Ids } from './users.js';
import type { Heredoc } from './dockerfile.js';
import { NotFoundError, EngineError, ErrorCode } from '../model/errors.js';
import { sha256 } from '../util/digest.js';

/**
 * COPY and ADD without a container: the sources are written into a fresh layer dir with the
 * owners, modes and mtimes the image must show (BuildKit's rules), and that dir is the layer.
 */

/** One source, after globs and heredocs are resolved. */
export type SourceItem =
  | { kind: 'host'; name: string; rel: string; abs: string; stat: Stats; children: () => ContextEntry[]; preserveOwner: boolean; extract: boolean }
  | { kind: 'content'; name: string; data: Buffer }
  | { kind: 'url'; url: string };

export interface CopySpec {
  keyword: 'COPY' | 'ADD';
  /** absolute image path; `destIsDir` when it ends in "/" (or names a directory) */
  dest: string;
  destIsDir: boolean;
  chown?: Ids;
  chmod?: number;
  epoch?: number;
}

const URL_RE = /^https?:\/\//i;

export function isUrl(s: string): boolean {
  return URL_RE.test(s);
}

/** Entries of a directory in a layer view, recursively, paths relative to it. */
function viewChildren(view: LayerView, dir: string): ContextEntry[] {
  const out: ContextEntry[] = [];
  const visit = (rel: string) => {
    for (const n of view.readdir(posix.join(dir, rel))) {
      const r = rel ? `${rel}/${n}` : n;
      const e = view.stat(posix.join(dir, r), false);
      if (!e) continue;
      out.push({ rel: r, abs: e.hostPath, stat: e.stat });
      if (e.stat.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

function viewMatch(view: LayerView, src: string, what: string): SourceItem[] {
  const clean = posix.normalize(`/${src}`);
  const base = posix.basename(clean);
  const mk = (p: string): SourceItem => {
    const r = view.resolve(p);
    const e = r.entry!;
    return { kind: 'host', name: posix.basename(r.path) || '/', rel: r.path, abs: e.hostPath, stat: e.stat, children: () => viewChildren(view, r.path), preserveOwner: true, extract: false };
  };
  if (/[*?[]/.test(base)) {
    const dir = posix.dirname(clean);
    const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const hits = view.readdir(dir).filter((n) => re.test(n));
    if (hits.length === 0) throw new NotFoundError(`no files in ${what} match "${src}"`);
    return hits.map((n) => mk(posix.join(dir, n)));
  }
  if (!view.stat(clean)) throw new NotFoundError(`"${src}" not found in ${what}`);
  return [mk(clean)];
}

function looksLikeArchive(abs: string): boolean {
  const buf = Buffer.alloc(262);
  const fd = openSync(abs, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true; // gzip
  if (n >= 3 && buf.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (n >= 6 && buf.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true; // xz
  return n >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Resolve COPY/ADD sources: heredocs, context paths and globs, another stage/image, URLs. */
export function resolveSources(
  keyword: 'COPY' | 'ADD',
  srcs: string[],
  heredocs: Map<string, Heredoc & { data: Buffer }>,
  from: { view: LayerView; what: string } | undefined,
  ctx: BuildContext,
): SourceItem[] {
  const items: SourceItem[] = [];
  for (const s of srcs) {
    const hd = /^<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?$/.exec(s);
    if (hd && heredocs.has(hd[1]!)) {
      items.push({ kind: 'content', name: hd[1]!, data: heredocs.get(hd[1]!)!.data });
      continue;
    }
    if (isUrl(s)) {
      if (keyword === 'COPY') throw new EngineError(ErrorCode.INVALID, `COPY cannot download "${s}": use ADD for URLs`);
      items.push({ kind: 'url', url: s });
      continue;
    }
    if (from) {
      items.push(...viewMatch(from.view, s, from.what));
      continue;
    }
    for (const m of ctx.match(s)) {
      items.push({
        kind: 'host',
        name: posix.basename(m.rel) || '.',
        rel: m.rel || '.',
        abs: m.abs,
        stat: m.stat,
        children: () => (m.stat.isDirectory() ? ctx.walk(m.rel).map((c) => ({ ...c, rel: m.rel ? c.rel.slice(m.rel.length + 1) : c.rel })) : []),
        preserveOwner: false,
        extract: keyword === 'ADD' && m.stat.isFile() && looksLikeArchive(m.abs),
      });
    }
  }
  return items;
}

/**
 * What the cache key must cover: every source file's path, type, mode and content digest
 * (digests come from the stat-keyed cache, so unchanged files are not read again).
 */
export async function sourceDigests(items: SourceItem[], hashes: FileHashCache, fromKey?: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const it of items) {
    if (it.kind === 'content') {
      out[`<<${it.name}`] = sha256(it.data);
    } else if (it.kind === 'url') {
      out[it.url] = 'url';
    } else if (fromKey) {
      // Another stage or image: its state key already names its content.
      out[it.rel] = fromKey;
    } else {
      const one = async (rel: string, abs: string, st: Stats) => {
        const meta = `${st.mode.toString(8)}`;
        if (st.isFile()) out[rel] = `${meta}:${hashes.cached(abs, st) ?? (await hashes.digest(abs, st))}`;
        else if (st.isSymbolicLink()) out[rel] = `${meta}:->${readlinkSync(abs)}`;
        else out[rel] = meta;
      };
      await one(it.rel, it.abs, it.stat);
      if (it.stat.isDirectory()) {
        const prefix = it.rel === '.' ? '' : `${it.rel}/`;
        for (const c of it.children()) await one(`${prefix}${c.rel}`, c.abs, c.stat);
      }
    }
  }
  return out;
}

interface Attrs {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** Writes entries into a layer dir; parents that exist below keep their attributes. */
class LayerDirWriter {
  private readonly made = new Set<string>(['/']);
  private readonly dirTimes: [string, number][] = [];
  constructor(
    readonly root: string,
    private readonly view: LayerView,
    private readonly defaults: { uid: number; gid: number; now: number },
  ) {}

  host(p: string): string {
    return join(this.root, p);
  }

  async parents(p: string): Promise<void> {
    const parts = posix.dirname(p).split('/').filter(Boolean);
    let cur = '/';
    for (const part of parts) {
      cur = posix.join(cur, part);
      if (this.made.has(cur)) continue;
      const below = this.view.stat(cur, false);
      const attrs: Attrs = below?.stat.isDirectory()
        ? { mode: below.stat.mode & 0o7777, uid: below.stat.uid, gid: below.stat.gid, mtime: below.stat.mtimeMs / 1000 }
        : { mode: 0o755, uid: this.defaults.uid, gid: this.defaults.gid, mtime: this.defaults.now };
      await this.dir(cur, attrs);
    }
  }

  async dir(p: string, a: Attrs): Promise<void> {
    const h = this.host(p);
    if (!this.made.has(p)) {
      mkdirSync(h, { recursive: true });
      this.made.add(p);
    }
    lchownSync(h, a.uid, a.gid);
    chmodSync(h, a.mode);
    this.dirTimes.push([h, a.mtime]);
  }

  async file(p: string, src: { abs?: string; data?: Buffer }, a: Attrs): Promise<void> {
    // Sync calls: for thousands of small files one syscall each beats a thread-pool round trip.
    const h = this.host(p);
    if (src.abs) copyFileSync(src.abs, h);
    else writeFileSync(h, src.data ?? Buffer.alloc(0));
    lchownSync(h, a.uid, a.gid);
    chmodSync(h, a.mode);
    lutimesSync(h, a.mtime, a.mtime);
    this.made.add(p);
  }

  /**
   * Share the inode of a file in another read-only snapshot (COPY --from without --chown or
   * --chmod keeps every attribute, so the inode is already exactly right). Snapshots are never
   * written in place, so sharing is safe, and 50 MB cost a link() instead of a copy.
   */
  share(p: string, snapshotFile: string): void {
    linkSync(snapshotFile, this.host(p));
    this.made.add(p);
  }

  async link(p: string, target: string, a: Attrs): Promise<void> {
    const h = this.host(p);
    symlinkSync(target, h);
    lchownSync(h, a.uid, a.gid);
    lutimesSync(h, a.mtime, a.mtime);
    this.made.add(p);
  }

  has(p: string): boolean {
    return this.made.has(p);
  }

  /** Directory times last, deepest first, so writing children does not bump them. */
  async finish(): Promise<void> {
    for (const [h, t] of this.dirTimes.reverse()) lutimesSync(h, t, t);
  }
}

async function download(url: string): Promise<{ data: Buffer; mtime?: number }> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new EngineError(ErrorCode.INVALID, `cannot download ${url} (${cause?.code ?? cause?.message ?? (e as Error).message}); check the URL and that this machine can reach it`);
  }
  if (!res.ok) throw new EngineError(ErrorCode.INVALID, `cannot download ${url}: the server answered ${res.status} ${res.statusText}`);
  const lm = res.headers.get('last-modified');
  return { data: Buffer.from(await res.arrayBuffer()), mtime: lm ? Date.parse(lm) / 1000 : undefined };
}

function untar(archive: string, destDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // GNU tar detects gzip/bzip2/xz itself, keeps owners (we are root) and refuses "../" members.
    const p = spawn('tar', ['-x', '-p', '--numeric-owner', '-f', archive, '-C', destDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new EngineError(ErrorCode.INVALID, `ADD: cannot extract ${archive}: ${err.trim().split('\n').pop() ?? `tar exited ${code}`}`))));
  });
}

/** Write the sources into `layerDir` (the new layer), following Docker's destination rules. */
export async function writeCopy(items: SourceItem[], spec: CopySpec, view: LayerView, layerDir: string): Promise<void> {
  const now = spec.epoch ?? Math.floor(Date.now() / 1000);
  const w = new LayerDirWriter(layerDir, view, { uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, now });
  // The destination resolves through symlinks already in the image (e.g. /var/run -> /run).
  let dest = view.resolve(spec.dest).path;
  const destExisting = view.stat(dest);
  const destIsDir = spec.destIsDir || items.length > 1 || !!destExisting?.stat.isDirectory();
  if (dest === '') dest = '/';
  const owner = (st: Stats, preserve: boolean) => ({ uid: spec.chown?.uid ?? (preserve ? st.uid : 0), gid: spec.chown?.gid ?? (preserve ? st.gid : 0) });
  const fmode = (st: Stats) => spec.chmod ?? st.mode & 0o7777;
  const shareable = (it: SourceItem) => it.kind === 'host' && it.preserveOwner && spec.chown === undefined && spec.chmod === undefined;

  const ensureDestDir = async (attrs?: Attrs) => {
    if (dest === '/') return;
    await w.parents(dest);
    if (destExisting?.stat.isDirectory()) {
      const s = destExisting.stat;
      await w.dir(dest, { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtime: s.mtimeMs / 1000 });
    } else if (!w.has(dest)) {
      await w.dir(dest, attrs ?? { mode: 0o755, uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, mtime: now });
    }
  };

  for (const it of items) {
    if (it.kind === 'content') {
      const target = destIsDir ? posix.join(dest, it.name) : dest;
      if (destIsDir) await ensureDestDir();
      else await w.parents(target);
      await w.file(target, { data: it.data }, { mode: spec.chmod ?? 0o644, uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, mtime: now });
      continue;
    }
    if (it.kind === 'url') {
      const { data, mtime } = await download(it.url);
      const name = posix.basename(new URL(it.url).pathname) || 'index.html';
      const target = destIsDir ? posix.join(dest, name) : dest;
      if (destIsDir) await ensureDestDir();
      else await w.parents(target);
      await w.file(target, { data }, { mode: spec.chmod ?? 0o600, uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, mtime: mtime ?? now });
      continue;
    }
    const st = it.stat;
    if (it.extract) {
      await ensureDestDir();
      await untar(it.abs, w.host(dest));
      continue;
    }
    if (st.isDirectory()) {
      // A directory source copies its contents; a new destination takes the source dir's attributes.
      await ensureDestDir({ mode: fmode(st), ...owner(st, it.preserveOwner), mtime: st.mtimeMs / 1000 });
      const children = it.children();
      const dirs = children.filter((c) => c.stat.isDirectory());
      for (const c of dirs) {
        await w.dir(posix.join(dest, c.rel), { mode: fmode(c.stat), ...owner(c.stat, it.preserveOwner), mtime: c.stat.mtimeMs / 1000 });
      }
      for (const c of children) {
        if (c.stat.isDirectory()) continue;
        const target = posix.join(dest, c.rel);
        const a: Attrs = { mode: fmode(c.stat), ...owner(c.stat, it.preserveOwner), mtime: c.stat.mtimeMs / 1000 };
        if (c.stat.isSymbolicLink()) await w.link(target, readlinkSync(c.abs), a);
        else if (c.stat.isFile() && shareable(it)) w.share(target, c.abs);
        else if (c.stat.isFile()) await w.file(target, { abs: c.abs }, a);
      }
      continue;
    }
    const target = destIsDir ? posix.join(dest, it.name) : dest;
    if (destIsDir) await ensureDestDir();
    else await w.parents(target);
    const a: Attrs = { mode: fmode(st), ...owner(st, it.preserveOwner), mtime: st.mtimeMs / 1000 };
    if (st.isSymbolicLink()) await w.link(target, readlinkSync(it.abs), a);
    else if (st.isFile() && shareable(it)) w.share(target, it.abs);
    else if (st.isFile()) await w.file(target, { abs: it.abs }, a);
    else throw new EngineError(ErrorCode.INVALID, `cannot copy ${it.name}: not a regular file, directory or symlink`);
  }
  await w.finish();
}

/** WORKDIR's mkdir -p into a layer dir: new dirs get `owner`, existing parents keep theirs. */
export async function writeMkdir(view: LayerView, layerDir: string, path: string, owner: Ids, epoch?: number): Promise<void> {
  const now = epoch ?? Math.floor(Date.now() / 1000);
  const w = new LayerDirWriter(layerDir, view, { uid: owner.uid, gid: owner.gid, now });
  await w.parents(path);
  await w.dir(path, { mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: now });
  await w.finish();
}
