import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BIN, ensureBuilt, slipway, type Run } from '../image/cli.js';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { pad, tarHeader } from '../../../main/engine/image/tar-writer.js';

/** Debian's docker client (docker.io 20.10). /usr/local/bin/docker on some hosts is another one. */
export const DOCKER = '/usr/bin/docker';
export const COMPOSE = '/usr/bin/docker-compose';
/** Debian's python3 with Debian's python3-docker (not a pyenv python on PATH). */
export const PYTHON = '/usr/bin/python3';

export interface Service {
  root: string;
  sock: string;
  dockerHost: string;
  proc: ChildProcess;
  /** what the service printed on stderr so far */
  stderr: () => string;
  /** env for a client: DOCKER_HOST at us, a private DOCKER_CONFIG, no BuildKit */
  env: NodeJS.ProcessEnv;
  /** the slipway CLI on the same store */
  sw: (...args: string[]) => Run;
  stop: () => Promise<void>;
}

/** Waits for the service's first stdout line (`export DOCKER_HOST=...`). */
function firstLine(proc: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`the service printed nothing in ${timeoutMs} ms`)), timeoutMs);
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, nl));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`the service exited (${code}) before it printed its address`));
    });
  });
}

/**
 * `slipway system service --socket <tmp>/docker.sock` against a fresh store (busybox loaded
 * unless `empty`), as a user would start it. Clients get DOCKER_HOST=unix://<that socket>.
 */
export async function startService(opts: { empty?: boolean; args?: string[]; time?: string } = {}): Promise<Service> {
  ensureBuilt();
  const { root, cleanup } = tempRoot('slipway-api-');
  const sock = join(root, 'docker.sock');
  const sw = (...args: string[]) => slipway(root, args);
  if (!opts.empty) {
    const l = sw('load', '-i', join(FIXTURES, 'busybox-docker.tar'));
    if (l.code !== 0) throw new Error(`load failed: ${l.stderr}`);
    // docker's clients ask for "busybox" (docker.io/library/busybox:latest)
    sw('tag', 'localhost/busybox:latest', 'busybox:latest');
  }
  // The service's own registry logins (used when a client sends no X-Registry-Auth) stay in the store dir.
  const proc = spawn(process.execPath, [BIN, 'system', 'service', '--socket', sock, '--time', opts.time ?? '0', ...(opts.args ?? [])], {
    env: { ...process.env, SLIPWAY_ROOT: root, XDG_CONFIG_HOME: join(root, 'service-config'), DOCKER_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const line = await firstLine(proc, 30_000);
  const dockerHost = line.replace(/^export DOCKER_HOST=/, '');
  const config = mkdtempSync(join(root, 'docker-config-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: root, DOCKER_HOST: dockerHost, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0' };
  return {
    root,
    sock,
    dockerHost,
    proc,
    stderr: () => stderr,
    env,
    sw,
    stop: async () => {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await gone;
      }
      const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
      if (ids.length) sw('rm', '-f', ...ids);
      cleanup();
    },
  };
}

/** A free loopback port (for a published port). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** /usr/bin/docker ARGS against the service. */
export function docker(svc: Service, args: string[], opts: { input?: string | Buffer; timeout?: number; cwd?: string } = {}): Run {
  const input = typeof opts.input === 'string' ? Buffer.from(opts.input) : opts.input;
  const r = spawnSync(DOCKER, args, { env: svc.env, input, encoding: 'buffer', maxBuffer: 256 << 20, timeout: opts.timeout ?? 120_000, cwd: opts.cwd });
  return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: (r.stderr?.toString() ?? '') + (r.error ? String(r.error) : '') };
}

/** docker ARGS that must succeed: its stdout, or an error carrying the exit code and stderr. */
export function dockerOk(svc: Service, args: string[]): string {
  const r = docker(svc, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} -> ${r.code}\n${r.stderr}`);
  return r.stdout;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => unknown;
}

/** One raw HTTP request on the service's socket. */
export function api(svc: Pick<Service, 'sock'>, method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: svc.sock, method, path, headers: { Host: 'docker', ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function tmpDir(svc: Service, prefix: string): string {
  return mkdtempSync(join(svc.root, prefix));
}

export { rmSync };

export interface TarEntry {
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  body?: string;
  linkname?: string;
  mode?: number;
}

/** Change a ustar header's type flag (the writer has no hard links) and fix its checksum. */
function retype(h: Buffer, flag: number): void {
  const b = h.subarray(h.length - 512);
  b[156] = flag;
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** A tar built by hand, entry by entry (names and links as given, however odd): contexts, archives, attacks. */
export function tarOf(files: Record<string, string | TarEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, v] of Object.entries(files)) {
    const e: TarEntry = typeof v === 'string' ? { body: v } : v;
    const data = Buffer.from(e.body ?? '');
    const h = tarHeader({ name, type: e.type === 'hardlink' ? 'symlink' : e.type ?? 'file', size: e.type && e.type !== 'file' ? 0 : data.length, mode: e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), mtime: 1_700_000_000, linkname: e.linkname });
    if (e.type === 'hardlink') retype(h, 0x31);
    parts.push(h);
    if (!e.type || e.type === 'file') parts.push(data, Buffer.alloc(pad(data.length)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
