import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { buildCacheMountsTable, type CacheMountRow } from '../store/tables/build-cache-mounts.js';
import { sha256 } from '../util/digest.js';
import { flock, type FileLock } from '../util/flock.js';
import { liveTempName } from '../util/ids.js';
import { dirSize } from '../image/usage.js';
import type { Sharing } from './run-mounts.js';

/**
 * The directories behind `RUN --mount=type=cache`: kept in the store between builds, never
 * part of a layer. Each use holds a kernel lock on `<dir>.lock` — shared for `sharing=shared`,
 * exclusive for `locked` (a second build waits) and for `private` (a second build takes the
 * next copy instead) — and prune takes it exclusively, so a cache is never deleted under a RUN.
 */
export interface CacheLease {
  /** the host directory to bind at the target */
  path: string;
  release(): Promise<void>;
}

export interface CacheRequest {
  id: string;
  sharing: Sharing;
  uid?: number;
  gid?: number;
  mode?: number;
  /** a directory whose contents a new cache starts with (`from=`/`source=`) */
  seed?: string;
  signal?: AbortSignal;
}

function dirName(id: string, instance: number): string {
  const base = sha256(id).slice(7, 31);
  return instance ? `${base}-${instance}` : base;
}

function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('cp', ['-a', '--', `${from}/.`, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new EngineError(ErrorCode.SYSTEM, `cannot seed the cache mount from ${from}: ${err.trim()}`))));
  });
}

async function ensureDir(engine: Engine, name: string, r: CacheRequest): Promise<string> {
  const path = join(engine.store.paths.cacheMounts, name);
  if (!existsSync(path)) {
    // Made in tmp/ and renamed, so a half-seeded cache is never seen (check --repair removes
    // what a dead build left there).
    const tmp = join(engine.store.paths.tmp, liveTempName('cache-mount'));
    mkdirSync(tmp, { mode: 0o755 });
    try {
      if (r.seed) await copyTree(r.seed, tmp);
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(path)) throw e;
    }
  }
  // BuildKit makes the cache root with mode/uid/gid (default 0755 root:root).
  if (r.uid !== undefined || r.gid !== undefined) chownSync(path, r.uid ?? 0, r.gid ?? 0);
  if (r.mode !== undefined) chmodSync(path, r.mode);
  return path;
}

export async function acquireCacheMount(engine: Engine, r: CacheRequest): Promise<CacheLease> {
  const root = engine.store.paths.cacheMounts;
  mkdirSync(root, { recursive: true });
  let lock: FileLock | undefined;
  let instance = 0;
  if (r.sharing === 'private') {
    for (;; instance++) {
      lock = await flock(join(root, `${dirName(r.id, instance)}.lock`), { exclusive: true, wait: false, signal: r.signal });
      if (lock) break;
    }
  } else {
    lock = await flock(join(root, `${dirName(r.id, 0)}.lock`), { exclusive: r.sharing === 'locked', wait: true, signal: r.signal });
  }
  const held = lock!;
  try {
    const name = dirName(r.id, instance);
    const path = await ensureDir(engine, name, r);
    buildCacheMountsTable.touch(engine.store.db, { dir: name, cacheId: r.id, instance });
    return { path, release: () => held.release() };
  } catch (e) {
    await held.release();
    throw e;
  }
}

export interface CacheMountUsage extends CacheMountRow {
  size: number;
  /** a build holds it now */
  inUse: boolean;
}

/** Every cache mount with its size on disk, for `system df` and `builder du`. */
export async function cacheMountUsage(engine: Engine): Promise<CacheMountUsage[]> {
  const root = engine.store.paths.cacheMounts;
  const out: CacheMountUsage[] = [];
  for (const row of buildCacheMountsTable.all(engine.store.db)) {
    const path = join(root, row.dir);
    if (!existsSync(path)) continue;
    const probe = await flock(join(root, `${row.dir}.lock`), { exclusive: true, wait: false });
    await probe?.release();
    out.push({ ...row, size: dirSize(path), inUse: !probe });
  }
  return out;
}

/**
 * Delete cache mounts no build holds (those a build holds stay, as BuildKit keeps records in
 * use). `keep` decides per row; directories without a row (a crash between mkdir and insert)
 * go too.
 */
export async function pruneCacheMounts(engine: Engine, keep: (r: CacheMountRow) => boolean = () => false): Promise<{ removed: CacheMountUsage[] }> {
  const root = engine.store.paths.cacheMounts;
  if (!existsSync(root)) return { removed: [] };
  const removed: CacheMountUsage[] = [];
  const rows = new Map(buildCacheMountsTable.all(engine.store.db).map((r) => [r.dir, r]));
  for (const name of readdirSync(root)) {
    // Lock files stay: deleting one while another build waits on it would let two hold it.
    if (name.endsWith('.lock')) continue;
    const row = rows.get(name);
    if (row && keep(row)) continue;
    const lock = await flock(join(root, `${name}.lock`), { exclusive: true, wait: false });
    if (!lock) continue;
    try {
      const path = join(root, name);
      const size = dirSize(path);
      rmSync(path, { recursive: true, force: true });
      buildCacheMountsTable.remove(engine.store.db, name);
      removed.push({ ...(row ?? { dir: name, cacheId: name, instance: 0, created: 0, usedAt: 0, uses: 0 }), size, inUse: false });
    } finally {
      await lock.release();
    }
  }
  return { removed };
}
