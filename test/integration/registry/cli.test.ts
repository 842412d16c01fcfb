import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt, slipway, type Run } from '../image/cli.js';
import { startRegistry, skopeoDigest, type RunningRegistry } from './registry-server.js';

let reg: RunningRegistry;
let authReg: RunningRegistry;
let store: ReturnType<typeof tempRoot>;
let dockerConfig: string;
let sw: (args: string[], input?: string) => Run;

beforeAll(async () => {
  ensureBuilt();
  reg = await startRegistry();
  authReg = await startRegistry({ users: { carol: 'pa55-w0rd' } });
  store = tempRoot('slipway-reg-cli-');
  dockerConfig = mkdtempSync(join(tmpdir(), 'slipway-reg-cli-auth-'));
  sw = (args, input) => slipway(store.root, args, { input, env: { DOCKER_CONFIG: dockerConfig } });
  const l = sw(['load', '-i', join(FIXTURES, 'busybox-docker.tar')]);
  if (l.code !== 0) throw new Error(`load failed: ${l.stderr}`);
}, 300_000); // ensureBuilt may compile the whole tree on a busy machine

afterAll(async () => {
  if (store) {
    const ids = sw(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) sw(['rm', '-f', ...ids]);
    store.cleanup();
  }
  await reg?.stop();
  await authReg?.stop();
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
});

describe('slipway push / pull / login / logout', () => {
  it('push, rmi, pull, run: what a user sees', () => {
    const name = `${reg.addr}/cli/busybox:v1`;
    expect(sw(['tag', 'localhost/busybox', name]).code).toBe(0);
    const p = sw(['push', name]);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const lines = p.stdout.trim().split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${reg.addr}/cli/busybox]`);
    expect(lines).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Pushed$/));
    const digest = skopeoDigest(name);
    expect(lines.at(-1)).toMatch(new RegExp(`^v1: digest: ${digest} size: \\d+$`));

    expect(sw(['rmi', name]).code).toBe(0);
    const pull = sw(['pull', name]);
    expect(pull.code).toBe(0);
    expect(pull.stdout.trim().split('\n')).toEqual([
      `v1: Pulling from cli/busybox`,
      expect.stringMatching(/^[0-9a-f]{12}: (Pull complete|Already exists)$/),
      `Digest: ${digest}`,
      expect.stringMatching(new RegExp(`^Status: (Downloaded newer image|Image is up to date) for ${reg.addr}/cli/busybox:v1$`)),
      name,
    ]);
    const run = sw(['run', '--rm', name, 'echo', 'pulled and running']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('pulled and running\n');

    const q = sw(['pull', '-q', name]);
    expect(q.stdout).toBe(`${name}\n`);
  });

  it('run and build FROM pull an image that is not in the store, as docker does', () => {
    const name = `${reg.addr}/cli/auto:v1`;
    expect(sw(['tag', 'localhost/busybox', name]).code).toBe(0);
    expect(sw(['push', name]).code).toBe(0);
    expect(sw(['rmi', name]).code).toBe(0);
    const run = sw(['run', '--rm', '--network', 'none', name, 'echo', 'auto-pulled']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('auto-pulled\n');
    expect(run.stderr).toContain(`Unable to find image '${name}' locally`);
    expect(sw(['image', 'inspect', '--format', '{{.Id}}', name]).code).toBe(0);

    const from = `${reg.addr}/cli/base:v2`;
    expect(sw(['tag', 'localhost/busybox', from]).code).toBe(0);
    expect(sw(['push', from]).code).toBe(0);
    expect(sw(['rmi', from]).code).toBe(0);
    const ctx = mkdtempSync(join(tmpdir(), 'slipway-reg-build-'));
    try {
      const b = sw(['build', '-q', '-t', 'cli/built-on-pulled:1', '-f', '-', ctx], `FROM ${from}\nRUN echo built > /b\n`);
      expect(b.stderr).toBe('');
      expect(b.code).toBe(0);
      expect(sw(['run', '--rm', '--network', 'none', 'cli/built-on-pulled:1', 'cat', '/b']).stdout).toBe('built\n');
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });

  it('errors are one line with a non-zero exit', () => {
    const missing = sw(['pull', `${reg.addr}/cli/busybox:nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`Error: manifest for ${reg.addr}/cli/busybox:nope not found: manifest unknown\n`);
    const plat = sw(['pull', '--platform', 'linux', `${reg.addr}/cli/busybox:v1`]);
    expect(plat.code).toBe(1);
    expect(plat.stderr).toMatch(/^Error: invalid platform "linux"/);
    const tls = sw(['pull', '--tls-verify=true', `${reg.addr}/cli/busybox:v1`]);
    expect(tls.code).toBe(1);
    expect(tls.stderr).toBe(`Error: registry ${reg.addr} does not speak https here (TLS handshake failed: is it plain http?); use --tls-verify=false if you trust it\n`);
  });

  it('login with --password-stdin: wrong password refused, right one stored, never printed; logout', () => {
    const bad = sw(['login', '-u', 'carol', '--password-stdin', authReg.addr], 'wrong\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`Error: login to ${authReg.addr} failed: wrong username or password\n`);
    const ok = sw(['login', '-u', 'carol', '--password-stdin', authReg.addr], 'pa55-w0rd\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('Login Succeeded\n');
    expect(ok.stdout + ok.stderr).not.toContain('pa55-w0rd');
    const cfg = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(cfg.auths[authReg.addr]!.auth, 'base64').toString()).toBe('carol:pa55-w0rd');

    const name = `${authReg.addr}/carol/busybox:1`;
    expect(sw(['tag', 'localhost/busybox', name]).code).toBe(0);
    const p = sw(['push', '-q', name]);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe(`${name}\n`);

    expect(sw(['logout', authReg.addr]).stdout).toBe(`Removing login credentials for ${authReg.addr}\n`);
    expect(sw(['logout', authReg.addr]).stdout).toBe(`Not logged in to ${authReg.addr}\n`);
    const denied = sw(['pull', name]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(`Error: ${authReg.addr} requires authentication: run \`slipway login ${authReg.addr}\` first\n`);

    const noTty = sw(['login', authReg.addr], '');
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/^Error: Cannot perform an interactive login from a non TTY device/);
  });
});
