import { closeSync, lstatSync, openSync, readdirSync, readSync, readlinkSync, rmSync, type Stats } from 'node:fs';
import { chmodSync, copyFileSync, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, posix } from 'node:path';
import type { BuildContext, ContextEntry } from './context.js';
import type { LayerView } from './fsview.js';
import { FileHashCache } from '../store/tables/build-file-hashes.js';
import type { Ids } from './users.js';
import type { Heredoc } from './dockerfile.js';
import ignoreModule, { type Ignore } from '@balena/dockerignore';
import { EngineError, ErrorCode, InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { sha256 } from '../util/digest.js';
import { liveTempName } from '../util/ids.js';
import { checkGitChecksum, checkoutGit, parseGitSource, resolveGitCommit, type GitSource } from './git.js';

/**
 * COPY and ADD without a container: the sources are written into a fresh layer dir with the
 * owners, modes and mtimes the image must show (BuildKit's rules), and that dir is the layer.
 */

/** One source, after globs and heredocs are resolved. */
export type SourceItem =
  | {
      kind: 'host'; name: string; rel: string; abs: string; stat: Stats; children: () => ContextEntry[]; preserveOwner: boolean; extract: boolean;
      /** a directory from the context: one digest of what children() depends on (BuildContext.fingerprint) */
      fingerprint?: () => string | undefined;
      /** COPY --parents: the path kept below the destination, and the source dirs above it */
      parents?: { destRel: string; dirs: { rel: string; stat: Stats }[] };
    }
  | { kind: 'content'; name: string; data: Buffer }
  | { kind: 'url'; url: string; checksum?: string; unpack: boolean }
  | { kind: 'git'; url: string; git: GitSource; excludes?: Ignore; resolved?: { commit: string; refName?: string } };

/** How COPY/ADD flags shape source resolution. */
export interface SourceOptions {
  /** --exclude patterns (dockerignore syntax), matched below each source */
  excludes: string[];
  /** COPY --parents */
  parents: boolean;
  /** ADD --unpack (undefined: local archives unpack, URLs do not) */
  unpack?: boolean;
  /** ADD --checksum */
  checksum?: string;
  /** ADD --keep-git-dir */
  keepGitDir?: boolean;
}

export interface CopySpec {
  keyword: 'COPY' | 'ADD';
  /** where a Git checkout may be made while the layer is written */
  tmpDir?: string;
  /** environment for git (the forwarded ssh agent) */
  gitEnv?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
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

/** Matches of one source path in a layer view (a glob in the last segment is expanded). */
function viewPaths(view: LayerView, src: string, what: string): string[] {
  const clean = posix.normalize(`/${src}`);
  const base = posix.basename(clean);
  if (/[*?[]/.test(base)) {
    const dir = posix.dirname(clean);
    const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const hits = view.readdir(dir).filter((n) => re.test(n));
    if (hits.length === 0) throw new NotFoundError(`no files in ${what} match "${src}"`);
    return hits.map((n) => posix.join(dir, n));
  }
  if (!view.stat(clean)) throw new NotFoundError(`"${src}" not found in ${what}`);
  return [clean];
}

function viewItem(view: LayerView, p: string): SourceItem & { kind: 'host' } {
  const r = view.resolve(p);
  const e = r.entry!;
  return { kind: 'host', name: posix.basename(r.path) || '/', rel: r.path, abs: e.hostPath, stat: e.stat, children: () => viewChildren(view, r.path), preserveOwner: true, extract: false };
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

// CommonJS `module.exports = factory`; the bundled types claim an ES default export.
const ignore = ignoreModule as unknown as (opts?: { ignorecase?: boolean }) => Ignore;

/** --exclude patterns as one matcher (dockerignore syntax, as BuildKit's fsutil reads them). */
export function excludeMatcher(patterns: string[]): Ignore | undefined {
  const clean = patterns.map((p) => p.trim()).filter(Boolean);
  if (clean.length === 0) return undefined;
  try {
    return ignore().add(clean);
  } catch (e) {
    throw new InvalidArgumentError(`invalid --exclude pattern: ${(e as Error).message}`);
  }
}

/**
 * Entries below a source with the excluded ones dropped. Patterns match paths relative to the
 * source (never the source itself, as BuildKit's copier); a directory kept only because an
 * exception (`!`) keeps something inside it stays, so the kept file has its parent.
 */
function excluding(entries: ContextEntry[], ex: Ignore | undefined): ContextEntry[] {
  if (!ex) return entries;
  const kept = new Set<string>();
  for (const e of entries) {
    if (ex.ignores(e.rel)) continue;
    kept.add(e.rel);
    for (let d = posix.dirname(e.rel); d !== '.'; d = posix.dirname(d)) kept.add(d);
  }
  return entries.filter((e) => kept.has(e.rel));
}

/** `a/./b/c` -> pivot `a`, kept path `b/c` (rsync's --relative rule that COPY --parents uses). */
function splitPivot(src: string): { pivot: string; pattern: string } {
  const i = src.indexOf('/./');
  if (i < 0) return { pivot: '', pattern: src };
  return { pivot: src.slice(0, i), pattern: src.slice(i + 3) };
}

/** Resolve COPY/ADD sources: heredocs, context paths and globs, another stage/image, URLs, Git. */
export function resolveSources(
  keyword: 'COPY' | 'ADD',
  srcs: string[],
  heredocs: Map<string, Heredoc & { data: Buffer }>,
  from: { view: LayerView; what: string } | undefined,
  ctx: BuildContext,
  opts: SourceOptions = { excludes: [], parents: false },
): SourceItem[] {
  const items: SourceItem[] = [];
  const ex = excludeMatcher(opts.excludes);
  const filtered = (it: SourceItem & { kind: 'host' }): SourceItem => {
    if (!ex) return it;
    const all = it.children;
    const print = it.fingerprint;
    return { ...it, children: () => excluding(all(), ex), fingerprint: print && (() => { const f = print(); return f && sha256(`${f}\0${JSON.stringify(opts.excludes)}`); }) };
  };
  if (opts.checksum !== undefined) {
    if (keyword !== 'ADD') throw new InvalidArgumentError('checksum can\'t be specified for COPY');
    if (srcs.length !== 1) throw new InvalidArgumentError('checksum can\'t be specified for multiple sources');
    if (!isUrl(srcs[0]!) && !parseGitSource(srcs[0]!)) throw new InvalidArgumentError('checksum requires HTTP(S) or Git sources');
  }
  for (const s of srcs) {
    const hd = /^<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?$/.exec(s);
    if (hd && heredocs.has(hd[1]!)) {
      items.push({ kind: 'content', name: hd[1]!, data: heredocs.get(hd[1]!)!.data });
      continue;
    }
    const git = from ? undefined : parseGitSource(s);
    if (git) {
      if (keyword === 'COPY') throw new InvalidArgumentError(`source can't be a git ref for COPY: use ADD for "${s}"`);
      if (opts.keepGitDir !== undefined && git.keepGitDir !== undefined && git.keepGitDir !== opts.keepGitDir) throw new InvalidArgumentError('inconsistent keep-git-dir configuration');
      git.keepGitDir ??= opts.keepGitDir;
      if (opts.checksum !== undefined && git.checksum !== undefined && git.checksum !== opts.checksum) throw new InvalidArgumentError(`checksum mismatch "${opts.checksum}" != "${git.checksum}"`);
      git.checksum ??= opts.checksum;
      items.push({ kind: 'git', url: s, git, excludes: ex });
      continue;
    }
    if (isUrl(s)) {
      if (keyword === 'COPY') throw new EngineError(ErrorCode.INVALID, `COPY cannot download "${s}": use ADD for URLs`);
      if (opts.checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(opts.checksum)) throw new InvalidArgumentError(`invalid checksum "${opts.checksum}": use sha256:<64 hex digits>`);
      items.push({ kind: 'url', url: s, checksum: opts.checksum, unpack: opts.unpack ?? false });
      continue;
    }
    if (from) {
      if (opts.parents) {
        const { pivot, pattern } = splitPivot(s);
        const root = posix.normalize(`/${pivot}`);
        for (const p of viewPaths(from.view, posix.join(root, pattern), from.what)) {
          const it = viewItem(from.view, p);
          const destRel = posix.relative(root, p);
          const dirs: { rel: string; stat: Stats }[] = [];
          for (let d = posix.dirname(destRel); d !== '.'; d = posix.dirname(d)) dirs.unshift({ rel: d, stat: from.view.stat(posix.join(root, d))!.stat });
          items.push(filtered({ ...it, parents: { destRel, dirs } }));
        }
      } else {
        for (const p of viewPaths(from.view, s, from.what)) items.push(filtered(viewItem(from.view, p)));
      }
      continue;
    }
    const { pivot, pattern } = opts.parents ? splitPivot(s) : { pivot: '', pattern: s };
    const root = posix.normalize(`/${pivot}`).slice(1);
    for (const m of ctx.match(root ? `${root}/${pattern}` : pattern)) {
      const item: SourceItem & { kind: 'host' } = {
        kind: 'host',
        name: posix.basename(m.rel) || '.',
        rel: m.rel || '.',
        abs: m.abs,
        stat: m.stat,
        children: () => (m.stat.isDirectory() ? ctx.walk(m.rel).map((c) => ({ ...c, rel: m.rel ? c.rel.slice(m.rel.length + 1) : c.rel })) : []),
        fingerprint: () => (m.stat.isDirectory() ? ctx.fingerprint(m.rel) : undefined),
        preserveOwner: false,
        extract: keyword === 'ADD' && opts.unpack !== false && m.stat.isFile() && looksLikeArchive(m.abs),
      };
      if (opts.parents) {
        const destRel = root ? posix.relative(root, m.rel) : m.rel;
        const dirs: { rel: string; stat: Stats }[] = [];
        for (let d = posix.dirname(destRel); d !== '.' && d !== ''; d = posix.dirname(d)) {
          const st = ctx.match(root ? `${root}/${d}` : d)[0]!.stat;
          dirs.unshift({ rel: d, stat: st });
        }
        if (destRel && destRel !== '.') item.parents = { destRel, dirs };
      }
      items.push(filtered(item));
    }
  }
  return items;
}

/**
 * What the cache key must cover: every source file's path, type, mode and content digest
 * (digests come from the stat-keyed cache, so unchanged files are not read again).
 */
/** Ask each Git remote which commit its ref names (the cache key), checking --checksum. */
export async function resolveGitSources(items: SourceItem[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<void> {
  for (const it of items) {
    if (it.kind !== 'git') continue;
    it.resolved = await resolveGitCommit(it.git, env, signal);
    if (it.git.checksum !== undefined) checkGitChecksum(it.git.checksum, it.resolved.commit);
  }
}

export async function sourceDigests(items: SourceItem[], hashes: FileHashCache, fromKey?: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const it of items) {
    if (it.kind === 'content') {
      out[`<<${it.name}`] = sha256(it.data);
    } else if (it.kind === 'url') {
      // With --checksum the content is known without downloading, as BuildKit keys it.
      out[it.url] = it.checksum ?? (it.unpack ? 'url:unpack' : 'url');
    } else if (it.kind === 'git') {
      if (!it.resolved) throw new Error(`git source ${it.url} was not resolved`);
      out[it.url] = `git:${it.resolved.commit}:${it.git.subdir ?? ''}:${it.git.keepGitDir ? 'keep' : ''}`;
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

/**
 * A COPY's cache inputs (the digest of what sourceDigests returns) and its sources on demand.
 * For context sources the digest is remembered per COPY under the stat keys of every path it
 * reads: a rebuild where nothing changed stats the files and stops there, without looking up,
 * joining and hashing one digest per file (half of a 2,000-file COPY's cost); a directory's
 * stats are read as one digest by the addon (BuildContext.fingerprint), without an object per
 * file. Any change to a stat key, a name, the set of files or .dockerignore misses, and the
 * per-file digests are computed as before.
 */
export async function copyInputs(
  items: SourceItem[],
  hashes: FileHashCache,
  fromKey?: string,
): Promise<{ inputs: string; sources: () => Promise<Record<string, string>> }> {
  // the fingerprint and, on a miss, the digests read one walk of each directory
  items = items.map((i) => {
    if (i.kind !== 'host') return i;
    let walked: ContextEntry[] | undefined;
    return { ...i, children: () => (walked ??= i.children()) };
  });
  const full = async () => {
    const sources = await sourceDigests(items, hashes, fromKey);
    return { inputs: sha256(JSON.stringify(sources)), sources: async () => sources };
  };
  if (fromKey || items.length === 0 || !items.every((i) => i.kind === 'host')) return full();
  const hosts = items as Extract<SourceItem, { kind: 'host' }>[];
  const key = `copy-sources:v1:${sha256(JSON.stringify(hosts.map((i) => [i.rel, i.abs])))}`;
  const lines: string[] = [];
  for (const it of hosts) {
    lines.push(`${it.rel}\0${FileHashCache.statKey(it.stat)}`);
    if (!it.stat.isDirectory()) continue;
    // the tree's digest where the addon makes it (no object per file); a line starting with NUL is never a path's
    const tree = it.fingerprint?.();
    if (tree) lines.push(`\0tree\0${tree}`);
    else for (const c of it.children()) lines.push(`${c.rel}\0${FileHashCache.statKey(c.stat)}`);
  }
  const stats = sha256(lines.join('\n'));
  const inputs = hashes.remembered(key, stats);
  if (inputs) return { inputs, sources: () => sourceDigests(items, hashes, fromKey) };
  const r = await full();
  hashes.remember(key, stats, r.inputs);
  return r;
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
  const destIsDir = spec.destIsDir || items.length > 1 || !!destExisting?.stat.isDirectory() || items.some((i) => i.kind === 'host' && i.parents);
  if (dest === '') dest = '/';
  const owner = (st: Stats, preserve: boolean) => ({ uid: spec.chown?.uid ?? (preserve ? st.uid : 0), gid: spec.chown?.gid ?? (preserve ? st.gid : 0) });
  const fmode = (st: Stats) => spec.chmod ?? st.mode & 0o7777;
  const shareable = (it: SourceItem) => it.kind === 'host' && it.preserveOwner && spec.chown === undefined && spec.chmod === undefined;
  const attrsOf = (st: Stats, preserve: boolean): Attrs => ({ mode: fmode(st), ...owner(st, preserve), mtime: st.mtimeMs / 1000 });

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

  /** A directory's entries (relative to it) below `at`. */
  const writeTree = async (it: SourceItem & { kind: 'host' }, at: string) => {
    const children = it.children();
    for (const c of children) {
      if (c.stat.isDirectory()) await w.dir(posix.join(at, c.rel), attrsOf(c.stat, it.preserveOwner));
    }
    for (const c of children) {
      if (c.stat.isDirectory()) continue;
      const target = posix.join(at, c.rel);
      const a = attrsOf(c.stat, it.preserveOwner);
      if (c.stat.isSymbolicLink()) await w.link(target, readlinkSync(c.abs), a);
      else if (c.stat.isFile() && shareable(it)) w.share(target, c.abs);
      else if (c.stat.isFile()) await w.file(target, { abs: c.abs }, a);
    }
  };

  const writeOne = async (it: SourceItem & { kind: 'host' }, target: string) => {
    const st = it.stat;
    const a = attrsOf(st, it.preserveOwner);
    if (st.isSymbolicLink()) await w.link(target, readlinkSync(it.abs), a);
    else if (st.isFile() && shareable(it)) w.share(target, it.abs);
    else if (st.isFile()) await w.file(target, { abs: it.abs }, a);
    else throw new EngineError(ErrorCode.INVALID, `cannot copy ${it.name}: not a regular file, directory or symlink`);
  };

  const writeHost = async (it: SourceItem & { kind: 'host' }) => {
    const st = it.stat;
    if (it.parents) {
      // COPY --parents: the source's own path (below the pivot) is kept under the destination.
      await ensureDestDir();
      for (const d of it.parents.dirs) {
        const p = posix.join(dest, d.rel);
        if (!w.has(p)) await w.dir(p, attrsOf(d.stat, it.preserveOwner));
      }
      const target = posix.join(dest, it.parents.destRel);
      if (st.isDirectory()) {
        await w.dir(target, attrsOf(st, it.preserveOwner));
        await writeTree(it, target);
      } else await writeOne(it, target);
      return;
    }
    if (it.extract) {
      await ensureDestDir();
      await untar(it.abs, w.host(dest));
      return;
    }
    if (st.isDirectory()) {
      // A directory source copies its contents; a new destination takes the source dir's attributes.
      await ensureDestDir(attrsOf(st, it.preserveOwner));
      await writeTree(it, dest);
      return;
    }
    const target = destIsDir ? posix.join(dest, it.name) : dest;
    if (destIsDir) await ensureDestDir();
    else await w.parents(target);
    await writeOne(it, target);
  };

  const tmps: string[] = [];
  try {
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
        if (it.checksum !== undefined) {
          const got = sha256(data);
          if (got !== it.checksum) throw new EngineError(ErrorCode.INVALID, `digest mismatch for ${it.url}: ${got} (expected: ${it.checksum})`);
        }
        if (it.unpack && spec.tmpDir) {
          const f = join(spec.tmpDir, liveTempName('add'));
          writeFileSync(f, data);
          tmps.push(f);
          if (looksLikeArchive(f)) {
            await ensureDestDir();
            await untar(f, w.host(dest));
            continue;
          }
        }
        const name = posix.basename(new URL(it.url).pathname) || '__unnamed__';
        const target = destIsDir ? posix.join(dest, name) : dest;
        if (destIsDir) await ensureDestDir();
        else await w.parents(target);
        await w.file(target, { data }, { mode: spec.chmod ?? 0o600, uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, mtime: mtime ?? now });
        continue;
      }
      if (it.kind === 'git') {
        if (!spec.tmpDir || !it.resolved) throw new Error('ADD of a Git repository needs a temp dir and a resolved commit');
        const co = join(spec.tmpDir, liveTempName('git'));
        tmps.push(co);
        const root = await checkoutGit(it.git, it.resolved, co, spec.gitEnv, spec.signal);
        const rootStat = lstatSync(root);
        const walk = (dir: string, rel: string, out: ContextEntry[]) => {
          for (const n of readdirSync(dir).sort()) {
            const abs = join(dir, n);
            const r = rel ? `${rel}/${n}` : n;
            // Checkout times are not content: they become the build's time, as in BuildKit.
            lutimesSync(abs, now, now);
            const st = lstatSync(abs);
            out.push({ rel: r, abs, stat: st });
            if (st.isDirectory()) walk(abs, r, out);
          }
          return out;
        };
        const entries = excluding(walk(root, '', []), it.excludes);
        const host: SourceItem & { kind: 'host' } = { kind: 'host', name: posix.basename(root), rel: '.', abs: root, stat: rootStat, children: () => entries, preserveOwner: false, extract: false };
        await ensureDestDir({ mode: spec.chmod ?? 0o755, uid: spec.chown?.uid ?? 0, gid: spec.chown?.gid ?? 0, mtime: now });
        await writeTree(host, dest);
        continue;
      }
      await writeHost(it);
    }
    await w.finish();
  } finally {
    for (const t of tmps) rmSync(t, { recursive: true, force: true });
  }
}

/** WORKDIR's mkdir -p into a layer dir: new dirs get `owner`, existing parents keep theirs. */
export async function writeMkdir(view: LayerView, layerDir: string, path: string, owner: Ids, epoch?: number): Promise<void> {
  const now = epoch ?? Math.floor(Date.now() / 1000);
  const w = new LayerDirWriter(layerDir, view, { uid: owner.uid, gid: owner.gid, now });
  await w.parents(path);
  await w.dir(path, { mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: now });
  await w.finish();
}
