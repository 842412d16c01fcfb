import { chownSync, copyFileSync, linkSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Engine } from '../engine.js';
import { EngineError, ErrorCode, InvalidArgumentError } from '../model/errors.js';
import type { BuildContext } from './context.js';
import type { FileHashCache } from '../store/tables/build-file-hashes.js';
import { resolveSources, sourceDigests } from './copy.js';
import { acquireCacheMount } from './cache-mounts.js';
import { cacheId, mountTarget, secretId, type RunMount } from './run-mounts.js';
import type { StepMount } from './run.js';
import type { SshAgents } from './ssh.js';

/**
 * What each RUN --mount needs on the host, in two halves: `plan` (before the cache lookup:
 * what the mount adds to the step's cache key — never a cache's or a secret's contents) and
 * `open` (when the step really runs: leases, secret files, agent proxies, all released after).
 */
export type SecretSource = { file: string } | { env: string };

/** What a mount's `from=` names, resolved by the builder (a stage or an image). */
export interface MountSource {
  lowers: string[];
  /** the stage/image's cache identity */
  key: string;
  what: string;
}

export interface MountEnv {
  engine: Engine;
  workdir: string;
  ctx: BuildContext;
  hashes: FileHashCache;
  secrets: Record<string, SecretSource>;
  ssh: SshAgents;
  /** BUILDKIT_CACHE_MOUNT_NS */
  cacheNamespace?: string;
  resolveFrom(name: string): Promise<MountSource>;
  signal?: AbortSignal;
}

export interface OpenedMount {
  mount?: StepMount;
  env?: string;
  release?: () => Promise<void>;
}

export interface PlannedMount {
  /** its part of the step's cache key */
  key: unknown;
  open(tmp: string): Promise<OpenedMount>;
}

function linkTree(ctx: BuildContext, rel: string, at: string): void {
  // A context filtered by .dockerignore: the mount shows only what the build may see.
  const [top] = ctx.match(rel);
  if (!top!.stat.isDirectory()) {
    mkdirSync(dirname(at), { recursive: true });
    linkOrCopy(top!.abs, at);
    return;
  }
  mkdirSync(at, { recursive: true });
  for (const e of ctx.walk(top!.rel)) {
    const dst = join(at, top!.rel ? e.rel.slice(top!.rel.length + 1) : e.rel);
    if (e.stat.isDirectory()) mkdirSync(dst, { recursive: true, mode: e.stat.mode & 0o7777 });
    else if (e.stat.isSymbolicLink()) symlinkSync(readlinkSync(e.abs), dst);
    else linkOrCopy(e.abs, dst);
  }
}

function linkOrCopy(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
  }
}

async function planOne(m: RunMount, index: number, e: MountEnv): Promise<PlannedMount> {
  const target = mountTarget(m, e.workdir);
  switch (m.type) {
    case 'tmpfs':
      return { key: { type: 'tmpfs', target, size: m.size }, open: async () => ({ mount: { type: 'tmpfs', destination: target!, size: m.size } }) };
    case 'bind': {
      const source = posix.normalize(`/${m.source ?? ''}`);
      if (m.from) {
        const src = await e.resolveFrom(m.from);
        return {
          key: { type: 'bind', target, from: src.key, source, readonly: m.readonly },
          open: async () => ({ mount: { type: 'layers', lowers: src.lowers, subpath: source, destination: target!, readonly: m.readonly, what: src.what } }),
        };
      }
      if (!e.ctx.dir) throw new InvalidArgumentError('a bind mount of the build context needs a context: pass a context directory, or from=STAGE');
      const rel = source.slice(1);
      // The bound files are inputs: their digests are in the key, as BuildKit's content checksum.
      const items = resolveSources('COPY', [rel || '.'], new Map(), undefined, e.ctx);
      const digests = await sourceDigests(items, e.hashes);
      return {
        key: { type: 'bind', target, context: digests, readonly: m.readonly },
        open: async (tmp) => {
          let root = e.ctx.dir!;
          let sub = rel;
          if (e.ctx.filtered) {
            root = join(tmp, `context-${index}`);
            linkTree(e.ctx, rel, join(root, 'v'));
            sub = 'v';
          }
          // Writes (rw) go to a throwaway upper, never to the context on disk.
          if (!m.readonly) return { mount: { type: 'layers', lowers: [root], subpath: sub, destination: target!, readonly: false, what: 'the build context' } };
          return { mount: { type: 'bind', source: join(root, sub), destination: target!, readonly: true } };
        },
      };
    }
    case 'cache': {
      const id = e.cacheNamespace ? `${e.cacheNamespace}/${cacheId(m)}` : cacheId(m);
      const sharing = m.sharing ?? 'shared';
      const src = m.from ? await e.resolveFrom(m.from) : undefined;
      return {
        key: { type: 'cache', target, id, sharing, readonly: m.readonly, from: src?.key, source: m.source, mode: m.mode, uid: m.uid, gid: m.gid },
        open: async (tmp) => {
          let seed: string | undefined;
          let unmountSeed: (() => Promise<void>) | undefined;
          if (src) {
            // A new cache starts as a copy of from:source: read it through an overlay of its layers.
            const { mountView } = await import('./view-mount.js');
            const v = await mountView(e.engine, src.lowers, join(tmp, `seed-${index}`));
            seed = join(v.path, m.source ?? '');
            unmountSeed = v.unmount;
          }
          try {
            const lease = await acquireCacheMount(e.engine, { id, sharing, uid: m.uid, gid: m.gid, mode: m.mode, seed, signal: e.signal });
            return { mount: { type: 'bind', source: lease.path, destination: target!, readonly: m.readonly }, release: lease.release };
          } finally {
            await unmountSeed?.();
          }
        },
      };
    }
    case 'secret': {
      const id = secretId(m);
      // BuildKit: a file at target (default /run/secrets/<id>) unless only env= is asked for.
      const fileTarget = m.env !== undefined && !m.target ? undefined : (target ?? `/run/secrets/${posix.basename(id)}`);
      return {
        key: { type: 'secret', id, target: fileTarget, env: m.env, mode: m.mode, uid: m.uid, gid: m.gid },
        open: async (tmp) => {
          const given = e.secrets[id];
          if (!given) {
            if (m.required) throw new InvalidArgumentError(`secret ${id} not found: pass --secret id=${id},src=FILE (or env=VAR)`);
            return {};
          }
          let value: Buffer;
          if ('file' in given) {
            try {
              value = readFileSync(given.file);
            } catch (err) {
              throw new InvalidArgumentError(`secret ${id}: cannot read ${given.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
            }
          } else {
            const v = process.env[given.env];
            if (v === undefined) throw new InvalidArgumentError(`secret ${id}: the environment variable ${given.env} is not set`);
            value = Buffer.from(v);
          }
          const out: OpenedMount = {};
          if (m.env !== undefined) out.env = `${m.env}=${value.toString()}`;
          if (fileTarget) {
            const f = join(tmp, `secret-${index}`);
            writeFileSync(f, value, { mode: m.mode ?? 0o400 });
            chownSync(f, m.uid ?? 0, m.gid ?? 0);
            out.mount = { type: 'bind', source: f, destination: fileTarget, readonly: true };
          }
          return out;
        },
      };
    }
    case 'ssh': {
      const id = m.id || 'default';
      return {
        key: { type: 'ssh', id, target },
        open: async (tmp) => {
          if (!e.ssh.has(id)) {
            if (m.required) throw new InvalidArgumentError(`no SSH key "${id}" forwarded from the client: pass --ssh ${id}[=SOCKET|KEY]`);
            return {};
          }
          const sock = join(tmp, `ssh-${index}.sock`);
          const p = await e.ssh.proxy(id, sock, { uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o600 });
          return { mount: { type: 'bind', source: sock, destination: target!, readonly: false }, release: p.close };
        },
      };
    }
  }
}

/**
 * Plan every mount of one RUN. ssh mounts without a target get BuildKit's
 * /run/buildkit/ssh_agent.N, and the first one is SSH_AUTH_SOCK (returned as `sshAuthSock`).
 */
export async function planMounts(mounts: RunMount[], e: MountEnv): Promise<{ plans: PlannedMount[]; sshAuthSock?: string }> {
  let n = 0;
  let sshAuthSock: string | undefined;
  const fixed = mounts.map((m) => {
    if (m.type !== 'ssh') return m;
    const t = m.target ?? `/run/buildkit/ssh_agent.${n}`;
    n++;
    if (sshAuthSock === undefined && e.ssh.has(m.id || 'default')) sshAuthSock = mountTarget({ ...m, target: t }, e.workdir);
    return { ...m, target: t };
  });
  const plans: PlannedMount[] = [];
  for (const [i, m] of fixed.entries()) plans.push(await planOne(m, i, e));
  return { plans, sshAuthSock };
}

/** Open planned mounts in order; on failure, what was opened is released. */
export async function openMounts(plans: PlannedMount[], tmp: string): Promise<{ mounts: StepMount[]; env: string[]; release: () => Promise<void> }> {
  const opened: OpenedMount[] = [];
  const release = async () => {
    for (const o of opened.reverse()) await o.release?.().catch(() => {});
  };
  try {
    for (const p of plans) opened.push(await p.open(tmp));
  } catch (err) {
    await release();
    throw err instanceof EngineError ? err : new EngineError(ErrorCode.SYSTEM, (err as Error).message);
  }
  return {
    mounts: opened.flatMap((o) => (o.mount ? [o.mount] : [])),
    env: opened.flatMap((o) => (o.env ? [o.env] : [])),
    release,
  };
}
