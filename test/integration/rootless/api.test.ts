import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BIN, ensureBuilt, slipway } from '../image/cli.js';
import { isOrdinaryUser } from './helpers.js';

// `slipway system service` as an ordinary user: the socket in $XDG_RUNTIME_DIR, for that user
// alone, and Debian's docker client running rootless containers through it.
let root = '';
let cleanup = () => {};
let svc: ChildProcess | undefined;
let host = '';
const sock = join(process.env.XDG_RUNTIME_DIR ?? '', 'slipway', 'docker.sock');
const docker = (...args: string[]) => spawnSync('/usr/bin/docker', args, { env: { PATH: process.env.PATH, HOME: root, DOCKER_HOST: host, DOCKER_CONFIG: join(root, 'dc') }, encoding: 'utf8', timeout: 120_000 });

beforeAll(async () => {
  if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-rootless-api-'));
  expect(slipway(root, ['load', '-i', join(FIXTURES, 'busybox-docker.tar')]).code).toBe(0);
  slipway(root, ['tag', 'localhost/busybox:latest', 'busybox:latest']);
  svc = spawn(process.execPath, [BIN, 'system', 'service', '--time', '0'], { env: { ...process.env, SLIPWAY_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  host = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    svc!.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    svc!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!.replace(/^export DOCKER_HOST=/, ''));
    });
    svc!.once('exit', (c) => reject(new Error(`the service exited (${c}): ${err}`)));
  });
});

afterAll(async () => {
  if (svc && svc.exitCode === null) {
    const gone = new Promise((r) => svc!.once('exit', r));
    svc.kill('SIGTERM');
    await gone;
  }
  if (!root) return;
  const ids = slipway(root, ['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
  if (ids.length) slipway(root, ['rm', '-f', ...ids]);
  cleanup();
});

describe('the Engine API service, rootless', () => {
  it('listens on $XDG_RUNTIME_DIR/slipway/docker.sock, mode 0600, and says so first', () => {
    expect(host).toBe(`unix://${sock}`);
    const st = statSync(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(process.getuid!());
  });

  it('docker run, exec and inspect work through it, with rootless containers', () => {
    const run = docker('run', '--rm', 'busybox', 'sh', '-c', 'echo rootless-api; id -u');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('rootless-api\n0\n');
    const id = docker('run', '-d', 'busybox', 'sleep', '60').stdout.trim();
    expect(docker('exec', id, 'echo', 'in').stdout).toBe('in\n');
    expect(docker('info', '--format', '{{json .SecurityOptions}}').stdout).toContain('name=rootless');
    expect(docker('rm', '-f', id).status).toBe(0);
  });
});
