import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free loopback TCP port (bound once and released). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningRegistry {
  /** 127.0.0.1:PORT */
  addr: string;
  pid: number;
  dir: string;
  stop: () => Promise<void>;
}

/**
 * Debian's docker-registry (CNCF distribution) on 127.0.0.1, plain http, temp storage; with
 * `users` it requires htpasswd basic auth (bcrypt, as distribution insists).
 */
export async function startRegistry(opts: { users?: Record<string, string>; host?: string } = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-reg-'));
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort(host);
  const addr = `${host}:${port}`;
  let auth = '';
  if (opts.users) {
    const lines = Object.entries(opts.users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: slipway-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${addr}\n${auth}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  // If the test file dies before its afterAll (a hook timeout), the registry goes with it.
  const reap = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('exit', reap);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://${addr}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`docker-registry did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return {
    addr,
    pid,
    dir,
    stop: async () => {
      process.off('exit', reap);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What skopeo says a registry image's manifest digest is (the reference tool's view). */
export function skopeoDigest(ref: string): string {
  const out = execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' });
  return (JSON.parse(out) as { Digest: string }).Digest;
}

export function skopeoRawManifest(ref: string): { config: { digest: string }; layers: { digest: string; mediaType: string }[] } {
  return JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], { encoding: 'utf8' }));
}

export function readJSON<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A non-loopback IPv4 address of this machine, if it has one (for the insecure-registry rules). */
export function nonLoopbackIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
