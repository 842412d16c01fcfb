import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { EngineError, ErrorCode, InvalidArgumentError, NotFoundError } from '../model/errors.js';

/**
 * ADD of a Git repository, with BuildKit's URL rules (dfgitutil.ParseGitRef): http(s) URLs
 * whose path ends in ".git", git://, ssh:// and scp-style `user@host:path`, each with an
 * optional `#ref:subdir` fragment. The work is done by the system's git.
 */
export interface GitSource {
  /** what git is given: the URL without fragment and query */
  remote: string;
  ref?: string;
  subdir?: string;
  keepGitDir?: boolean;
  checksum?: string;
  ssh: boolean;
}

const PROTO = /^([a-zA-Z0-9]+):\/\//;
const SCP = /^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$/;

function fragment(f: string | undefined): { ref?: string; subdir?: string } {
  if (!f) return {};
  const i = f.indexOf(':');
  const ref = i < 0 ? f : f.slice(0, i);
  const subdir = i < 0 ? '' : posix.join('/', f.slice(i + 1)).slice(1);
  return { ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}) };
}

function query(q: URLSearchParams, src: GitSource): void {
  for (const [k, v] of q) {
    if (k === 'ref' || k === 'tag' || k === 'branch') src.ref = v;
    else if (k === 'subdir') src.subdir = posix.join('/', v).slice(1);
    else if (k === 'checksum' || k === 'commit') src.checksum = v;
    else if (k === 'keep-git-dir') src.keepGitDir = v === '' || /^(1|t|true)$/i.test(v);
    else if (k !== 'submodules') throw new InvalidArgumentError(`git URL query "${k}" is not supported: use ref, tag, branch, subdir, checksum or keep-git-dir`);
  }
}

/** A Git source, or undefined when `s` is not one (a plain URL or a context path). */
export function parseGitSource(s: string): GitSource | undefined {
  const proto = PROTO.exec(s)?.[1]?.toLowerCase();
  if (proto) {
    if (!['http', 'https', 'git', 'ssh'].includes(proto)) return undefined;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return undefined;
    }
    if ((proto === 'http' || proto === 'https') && !u.pathname.endsWith('.git')) return undefined;
    const src: GitSource = { remote: '', ...fragment(decodeURIComponent(u.hash.slice(1))), ssh: proto === 'ssh' };
    query(u.searchParams, src);
    u.hash = '';
    u.search = '';
    src.remote = u.toString();
    return src;
  }
  const m = SCP.exec(s);
  if (!m) return undefined;
  const src: GitSource = { remote: `${m[1]}@${m[2]}:${m[3]}`, ...fragment(m[5]), ssh: true };
  if (m[4]) query(new URLSearchParams(m[4]), src);
  return src;
}

function git(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, {
      cwd: opts.cwd,
      // No prompts: a build must fail, not wait for a password on a terminal nobody reads.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') reject(new EngineError(ErrorCode.UNAVAILABLE, 'ADD of a Git repository needs git: install it (apt-get install git)'));
      else reject(e);
    });
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new EngineError(ErrorCode.UNAVAILABLE, `git ${args[0]} failed: ${err.trim().split('\n').filter(Boolean).pop() ?? `exit code ${code}`}`));
    });
  });
}

/** The environment git needs to reach an ssh remote through the build's forwarded agent. */
export function gitSshEnv(agentSocket: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new' };
  if (agentSocket) env.SSH_AUTH_SOCK = agentSocket;
  return env;
}

/**
 * The commit a source names, asked of the remote (`git ls-remote`, no clone): this is the
 * step's cache key, so an unchanged ref is a cache hit without fetching anything.
 */
export async function resolveGitCommit(src: GitSource, env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Promise<{ commit: string; refName?: string }> {
  const ref = src.ref ?? 'HEAD';
  const listing = await git(['ls-remote', '--', src.remote], { env, signal });
  const refs = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name) refs.set(name, sha);
  }
  // A tag's peeled entry (^{}) is the commit; prefer it over the tag object.
  for (const name of ref === 'HEAD' ? ['HEAD'] : [ref, `refs/tags/${ref}`, `refs/heads/${ref}`]) {
    const sha = refs.get(`${name}^{}`) ?? refs.get(name);
    if (sha) return { commit: sha, refName: name };
  }
  if (/^[0-9a-f]{40}$/.test(ref)) return { commit: ref };
  throw new NotFoundError(`git ref "${ref}" not found in ${src.remote}: name a branch, a tag or a full commit SHA`);
}

/**
 * Check the repository out into `dir` (created): the commit only (depth 1 when the remote
 * advertises it as a ref), `.git` removed unless kept, then BuildKit's modes: files 0644 or
 * 0755 when executable in Git, directories 0755. Returns the dir to copy (the subdir if any).
 */
export async function checkoutGit(src: GitSource, resolved: { commit: string; refName?: string }, dir: string, env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await git(['init', '-q', dir], { env, signal });
  await git(['remote', 'add', 'origin', src.remote], { cwd: dir, env, signal });
  if (resolved.refName) await git(['fetch', '-q', '--depth', '1', '--no-tags', 'origin', resolved.refName], { cwd: dir, env, signal });
  else await git(['fetch', '-q', '--tags', 'origin'], { cwd: dir, env, signal });
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', resolved.commit], { cwd: dir, env, signal });
  if (!src.keepGitDir) rmSync(join(dir, '.git'), { recursive: true, force: true });
  normalizeModes(dir, src.keepGitDir ? join(dir, '.git') : undefined);
  if (!src.subdir) return dir;
  const sub = join(dir, src.subdir);
  let ok = false;
  try {
    ok = lstatSync(sub).isDirectory();
  } catch {
    // reported below
  }
  if (!ok) throw new NotFoundError(`git subdirectory "${src.subdir}" not found at ${src.ref ?? 'HEAD'} in ${src.remote}`);
  return sub;
}

function normalizeModes(dir: string, skip: string | undefined): void {
  chmodSync(dir, 0o755);
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (p === skip) continue;
    const st = lstatSync(p);
    if (st.isDirectory()) normalizeModes(p, skip);
    else if (st.isFile()) chmodSync(p, st.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** BuildKit's --checksum for Git: the resolved commit must start with it. */
export function checkGitChecksum(checksum: string, commit: string): void {
  if (!/^[0-9a-f]+$/.test(checksum)) throw new InvalidArgumentError(`invalid checksum ${checksum} for Git URL, expected hex commit hash`);
  if (!commit.startsWith(checksum)) throw new EngineError(ErrorCode.INVALID, `expected checksum to match ${checksum}, got ${commit}`);
}
