import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import ignoreModule, { type Ignore } from '@balena/dockerignore';
import { NotFoundError, InvalidArgumentError } from '../model/errors.js';
import { readdirFingerprint, readdirWithStats } from '../util/native.js';
import { newHasher } from '../util/digest.js';

/**
 * The build context: a directory (or nothing, for `-` / a Dockerfile on stdin) filtered by
 * .dockerignore with Docker's rules, `!` exceptions included. Paths handed out are relative
 * to the context root with forward slashes ("files/a.txt"); "" is the root itself.
 */
export interface ContextEntry {
  rel: string;
  abs: string;
  stat: Stats;
}

// CommonJS `module.exports = factory`; the bundled types claim an ES default export.
const ignore = ignoreModule as unknown as (opts?: { ignorecase?: boolean }) => Ignore;

const GLOB_CHARS = /[*?[\\]/;

/** Go's filepath.Match for one path segment (no "/" inside). */
function segmentRegExp(seg: string): RegExp {
  let r = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') r += '[^/]*';
    else if (c === '?') r += '[^/]';
    else if (c === '\\' && i + 1 < seg.length) r += seg[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) {
        r += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, end);
      if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
      r += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else r += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${r}$`);
}

/**
 * A directory's entries, sorted, each with its lstat: every build stats every context file
 * (that is how a changed one is found), so this is one addon call per directory when the
 * addon has it, instead of one lstat request per file.
 */
function listWithStats(dirAbs: string): [string, Stats][] {
  return readdirWithStats(dirAbs) ?? readdirSync(dirAbs).sort().map((n) => [n, lstatSync(join(dirAbs, n))]);
}

/**
 * The first path segment of every pattern, when none of them is a glob: patterns are anchored
 * at the context root, so a path whose first segment is not among these matches no pattern
 * (exceptions included) and is not ignored, without testing it against each pattern (that was
 * most of a 2,000-file walk). Undefined when some pattern starts with a glob or is the root.
 */
function firstSegments(patterns: string[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const raw of patterns) {
    const p = posix.normalize(raw.trim().replace(/^!/, '').trim().replace(/^\/+/, ''));
    const first = p.split('/')[0]!;
    if (first === '.' || first === '..' || first === '' || GLOB_CHARS.test(first)) return undefined;
    out.add(first);
  }
  return out;
}

export class BuildContext {
  private readonly ig: Ignore | undefined;
  private readonly firstSegments: Set<string> | undefined;
  private readonly hasExceptions: boolean;
  private readonly patternsJson: string;

  private constructor(
    /** undefined for an empty context (Dockerfile from stdin with CONTEXT "-") */
    readonly dir: string | undefined,
    patterns: string[],
  ) {
    this.hasExceptions = patterns.some((p) => p.trim().startsWith('!'));
    this.patternsJson = JSON.stringify(patterns);
    this.ig = patterns.length ? ignore().add(patterns) : undefined;
    this.firstSegments = firstSegments(patterns);
  }

  /** .dockerignore hides something: the directory on disk is not what the build sees. */
  get filtered(): boolean {
    return this.ig !== undefined;
  }

  static empty(): BuildContext {
    return new BuildContext(undefined, []);
  }

  static open(dir: string, dockerfilePath?: string): BuildContext {
    const abs = resolve(dir);
    if (!existsSync(abs)) throw new NotFoundError(`unable to prepare context: path "${dir}" not found`);
    if (!statSync(abs).isDirectory()) throw new InvalidArgumentError(`unable to prepare context: "${dir}" is not a directory`);
    // BuildKit: <Dockerfile>.dockerignore beside the Dockerfile wins over the context's one.
    const candidates = [dockerfilePath ? `${dockerfilePath}.dockerignore` : undefined, join(abs, '.dockerignore')];
    let patterns: string[] = [];
    for (const c of candidates) {
      if (c && existsSync(c)) {
        patterns = readFileSync(c, 'utf8')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l && !l.startsWith('#'));
        break;
      }
    }
    return new BuildContext(realpathSync(abs), patterns);
  }

  ignored(rel: string): boolean {
    if (!this.ig || rel === '') return false;
    if (this.firstSegments) {
      const slash = rel.indexOf('/');
      if (!this.firstSegments.has(slash < 0 ? rel : rel.slice(0, slash))) return false;
    }
    return this.ig.ignores(rel);
  }

  private abs(rel: string): string {
    return rel ? join(this.dir!, rel) : this.dir!;
  }

  /**
   * The context paths a COPY/ADD source names: a plain path, or a glob (Go filepath.Match per
   * segment, plus "**"). Ignored paths do not exist for the build. Throws when nothing matches.
   */
  match(source: string): ContextEntry[] {
    const clean = posix.normalize(`/${source}`).slice(1).replace(/\/$/, '');
    if (clean.startsWith('..')) throw new InvalidArgumentError(`COPY source "${source}" is outside the build context`);
    if (!this.dir) throw new NotFoundError(`"${source}" not found: the build context is empty (Dockerfile from stdin); pass a context directory`);
    if (!GLOB_CHARS.test(clean)) {
      const st = this.lstat(clean);
      if (!st || (clean !== '' && this.ignored(clean) && !st.isDirectory())) {
        throw new NotFoundError(`"${source}" not found in the build context ${this.dir}${this.ignored(clean) ? ' (excluded by .dockerignore)' : ''}`);
      }
      // A top-level symlink source is followed, as BuildKit does; it must stay inside the context.
      if (st.isSymbolicLink()) {
        const real = realpathSync(this.abs(clean));
        if (real !== this.dir && !real.startsWith(`${this.dir}/`)) throw new InvalidArgumentError(`COPY source "${source}" is a symlink that leads outside the build context`);
        return [{ rel: clean, abs: real, stat: statSync(real) }];
      }
      return [{ rel: clean, abs: this.abs(clean), stat: st }];
    }
    const out: ContextEntry[] = [];
    this.glob(clean.split('/'), '', out);
    if (out.length === 0) throw new NotFoundError(`no files in the build context ${this.dir} match "${source}"`);
    return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  }

  private glob(segs: string[], base: string, out: ContextEntry[]): void {
    if (segs.length === 0) {
      const st = this.lstat(base);
      if (st && !(this.ignored(base) && !st.isDirectory())) out.push({ rel: base, abs: this.abs(base), stat: st });
      return;
    }
    const [seg, ...rest] = segs as [string, ...string[]];
    if (seg === '**') {
      this.glob(rest, base, out);
      for (const n of this.names(base)) {
        const rel = base ? `${base}/${n}` : n;
        if (this.lstat(rel)?.isDirectory()) this.glob(segs, rel, out);
      }
      return;
    }
    if (!GLOB_CHARS.test(seg)) {
      const rel = base ? `${base}/${seg}` : seg;
      if (this.lstat(rel)) this.glob(rest, rel, out);
      return;
    }
    const re = segmentRegExp(seg);
    for (const n of this.names(base)) {
      if (!re.test(n)) continue;
      const rel = base ? `${base}/${n}` : n;
      if (rest.length && !this.lstat(rel)?.isDirectory()) continue;
      this.glob(rest, rel, out);
    }
  }

  private names(rel: string): string[] {
    try {
      return readdirSync(this.abs(rel)).sort();
    } catch {
      return [];
    }
  }

  private lstat(rel: string): Stats | undefined {
    try {
      return lstatSync(this.abs(rel));
    } catch {
      return undefined;
    }
  }

  /** An ignored directory that no exception can reach into: walk and fingerprint skip its contents. */
  private prunes(dirRel: string): boolean {
    return !this.hasExceptions && this.ignored(dirRel);
  }

  /**
   * What walk(rel) depends on, as one digest (undefined without the addon): every entry below
   * rel with its mode, owner, size, inode, mtime and ctime, and the .dockerignore patterns.
   * Ignored entries count too, except inside a directory walk prunes, so equal digests mean
   * walk(rel) returns the same paths with the same stat keys; made without an object per file.
   */
  fingerprint(rel: string): string | undefined {
    if (!this.dir) return undefined;
    const h = newHasher().update(this.patternsJson);
    const visit = (dirRel: string, dirAbs: string): boolean => {
      const r = readdirFingerprint(dirAbs);
      if (!r) return false;
      h.update(`\0${dirRel}\0${r.bytes.length}\0`).update(r.bytes);
      for (const n of r.dirs) {
        const c = dirRel ? `${dirRel}/${n}` : n;
        if (this.prunes(c)) continue;
        if (!visit(c, `${dirAbs}/${n}`)) return false;
      }
      return true;
    };
    return visit(rel, rel ? this.abs(rel) : this.dir) ? h.digest('hex') : undefined;
  }

  /** Every non-ignored entry below a directory (not the directory itself), parents first, sorted. */
  walk(rel: string): ContextEntry[] {
    const out: ContextEntry[] = [];
    const visit = (dirRel: string, dirAbs: string) => {
      for (const [n, st] of listWithStats(dirAbs)) {
        const r = dirRel ? `${dirRel}/${n}` : n;
        const a = `${dirAbs}/${n}`; // dirAbs is absolute and normal, n one name: no join needed
        if (st.isDirectory()) {
          const ign = this.ignored(r);
          if (this.prunes(r)) continue;
          const before = out.length;
          if (!ign) out.push({ rel: r, abs: a, stat: st });
          visit(r, a);
          // An ignored dir that holds an excepted child still appears, as Docker sends it.
          if (ign && out.length > before) out.splice(before, 0, { rel: r, abs: a, stat: st });
        } else if (!this.ignored(r)) {
          out.push({ rel: r, abs: a, stat: st });
        }
      }
    };
    visit(rel, rel ? this.abs(rel) : this.dir!);
    return out;
  }
}
