import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../image/cli.js';
import { api, docker, startService, type Service } from './harness.js';

/** Inodes of the TCP sockets in LISTEN state on this host (all namespaces we can see). */
function listeningTcpInodes(): Set<string> {
  const out = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c[3] === '0A') out.add(c[9]!);
    }
  }
  return out;
}

function socketInodes(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m ? [m[1]!] : [];
    } catch {
      return [];
    }
  });
}

describe('slipway system service', () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService({ empty: true });
  });
  afterAll(async () => svc?.stop());

  it('prints the DOCKER_HOST line first and serves a socket only root and its group can open', () => {
    expect(svc.dockerHost).toBe(`unix://${svc.sock}`);
    const st = statSync(svc.sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
  });

  it('listens on no TCP port unless asked', () => {
    const tcp = listeningTcpInodes();
    expect(socketInodes(svc.proc.pid!).filter((i) => tcp.has(i))).toEqual([]);
  });

  it('answers /_ping (GET and HEAD) with the API version headers', async () => {
    const get = await api(svc, 'GET', '/_ping');
    expect(get.status).toBe(200);
    expect(get.body.toString()).toBe('OK');
    expect(get.headers['api-version']).toBe('1.41');
    expect(get.headers['docker-experimental']).toBe('false');
    expect(get.headers['ostype']).toBe('linux');
    const head = await api(svc, 'HEAD', '/v1.41/_ping');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['api-version']).toBe('1.41');
  });

  it('serves /version with and without a version prefix, and the docker client negotiates with it', async () => {
    for (const p of ['/version', '/v1.24/version', '/v1.41/version']) {
      const r = await api(svc, 'GET', p);
      expect(r.status).toBe(200);
      const v = r.json() as { ApiVersion: string; MinAPIVersion: string; Os: string; Arch: string; KernelVersion: string; Components: Array<{ Name: string }> };
      expect(v.ApiVersion).toBe('1.41');
      expect(v.MinAPIVersion).toBe('1.24');
      expect(v.Os).toBe('linux');
      expect(v.KernelVersion).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
      expect(v.Components.map((c) => c.Name)).toContain('Engine');
    }
    const r = docker(svc, ['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1.41 1.24 linux');
    // An older client pins an older version and is served at it.
    const old = spawnSync('/usr/bin/docker', ['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}'], { env: { ...svc.env, DOCKER_API_VERSION: '1.30' }, encoding: 'utf8' });
    expect(old.stdout.trim()).toBe('1.30 1.41');
  });

  it('refuses versions it does not serve, as dockerd words it', async () => {
    const old = await api(svc, 'GET', '/v1.12/version');
    expect(old.status).toBe(400);
    expect(old.json()).toEqual({ message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' });
    const fresh = await api(svc, 'GET', '/v1.99/info');
    expect(fresh.status).toBe(400);
    expect((fresh.json() as { message: string }).message).toBe('client version 1.99 is too new. Maximum supported API version is 1.41');
  });

  it('serves /info in docker\'s shape, which `docker info` prints', async () => {
    const r = await api(svc, 'GET', '/v1.41/info');
    expect(r.status).toBe(200);
    const info = r.json() as Record<string, unknown>;
    expect(info.OSType).toBe('linux');
    expect(info.Containers).toBe(0);
    expect(info.DockerRootDir).toBe(svc.root);
    expect((info.Swarm as { LocalNodeState: string }).LocalNodeState).toBe('inactive');
    const d = docker(svc, ['info', '--format', '{{.ServerVersion}} {{.OSType}} {{.Images}} {{.Swarm.LocalNodeState}}']);
    expect(d.stderr).toBe('');
    expect(d.stdout.trim()).toMatch(/^\d+\.\d+\.\d+ linux 0 inactive$/);
    const plain = docker(svc, ['info']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Server Version:');
  });

  it('answers an unknown path 404 and a known docker route it does not serve 501, naming it', async () => {
    const nf = await api(svc, 'GET', '/v1.41/nonsense');
    expect(nf.status).toBe(404);
    expect(nf.json()).toEqual({ message: 'page not found' });
    const ni = await api(svc, 'GET', '/v1.41/plugins');
    expect(ni.status).toBe(501);
    expect((ni.json() as { message: string }).message).toMatch(/plugins is not implemented/);
    const swarm = docker(svc, ['node', 'ls']);
    expect(swarm.code).not.toBe(0);
    expect(swarm.stderr).toMatch(/swarm mode is not implemented/);
  });

  it('refuses a connection from another user (peer credentials), even when the socket mode would let it in', async () => {
    const rootMode = statSync(svc.root).mode & 0o777;
    chmodSync(svc.root, 0o711);
    chmodSync(svc.sock, 0o666);
    try {
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'curl', '-s', '--unix-socket', svc.sock, 'http://d/_ping'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).message).toMatch(/^permission denied: uid 65534 may not use this Slipway socket/);
      const me = await api(svc, 'GET', '/_ping');
      expect(me.status).toBe(200);
    } finally {
      chmodSync(svc.sock, 0o660);
      chmodSync(svc.root, rootMode);
    }
  });
});

describe('the idle timeout (--time)', () => {
  it('exits after --time seconds without a connection and removes its socket; --time 0 stays', async () => {
    const brief = await startService({ empty: true, time: '1' });
    const forever = await startService({ empty: true, time: '0' });
    try {
      // it may have exited already, while the second service started
      const code = brief.proc.exitCode ?? (await new Promise<number | null>((r) => brief.proc.once('exit', r)));
      expect(code).toBe(0);
      expect(existsSync(brief.sock)).toBe(false);
      // well past podman's default of 5 s: the --time 0 service is still there and answers
      await new Promise((r) => setTimeout(r, 6000));
      expect(forever.proc.exitCode).toBe(null);
      expect((await api(forever, 'GET', '/_ping')).status).toBe(200);
    } finally {
      await brief.stop();
      await forever.stop();
    }
  });

  it('a TCP address is refused unless asked, binds loopback when no host is named, and warns', async () => {
    const proc = spawn(process.execPath, [BIN, 'system', 'service', 'tcp://:0', '--time', '1'], { env: { ...process.env, SLIPWAY_ROOT: join('/tmp', `slipway-api-tcp-${process.pid}`) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise((r) => proc.once('exit', r));
    expect(out).toMatch(/^export DOCKER_HOST=tcp:\/\/127\.0\.0\.1:\d+\n/);
    expect(err).toMatch(/WARNING: the API on tcp:\/\/127\.0\.0\.1:\d+ has no authentication/);
    spawnSync('rm', ['-rf', join('/tmp', `slipway-api-tcp-${process.pid}`)]);
  });
});
