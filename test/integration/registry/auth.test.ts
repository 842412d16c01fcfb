import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempEngine, FIXTURES } from '../../helpers/tmp-store.js';
import { startRegistry, skopeoDigest, type RunningRegistry } from './registry-server.js';
import { startTokenProxy, type TokenProxy } from './token-proxy.js';
import { pull, push, login, logout } from '../../../main/engine/registry/index.js';
import { authFilePath } from '../../../main/engine/registry/credentials.js';
import type { Engine } from '../../../main/engine/engine.js';

let basicReg: RunningRegistry;
let openReg: RunningRegistry;
let proxy: TokenProxy;
let env: ReturnType<typeof tempEngine>;
let engine: Engine;
let configDir: string;
const savedDockerConfig = process.env.DOCKER_CONFIG;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'slipway-auth-'));
  // $DOCKER_CONFIG/config.json: docker's own variable, so the test never touches ~/.config.
  process.env.DOCKER_CONFIG = configDir;
  basicReg = await startRegistry({ users: { alice: 's3cret-pw' } });
  openReg = await startRegistry();
  proxy = await startTokenProxy(openReg.addr, 'bob', 'hunter2');
  env = tempEngine();
  engine = env.engine;
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret-pw', `oci-archive:${join(FIXTURES, 'busybox-oci.tar')}`, `docker://${basicReg.addr}/team/busybox:1`]);
});

afterAll(async () => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
  env?.cleanup();
  await proxy?.stop();
  await basicReg?.stop();
  await openReg?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

describe('basic auth (htpasswd registry)', () => {
  it('refuses to pull before login, naming the fix', async () => {
    await expect(pull(engine, `${basicReg.addr}/team/busybox:1`)).rejects.toThrow(
      `${basicReg.addr} requires authentication: run \`slipway login ${basicReg.addr}\` first`,
    );
    expect(engine.images.list()).toEqual([]);
  });

  it('refuses a wrong password and stores nothing', async () => {
    await expect(login(basicReg.addr, { username: 'alice', password: 'wrong' })).rejects.toThrow(
      `login to ${basicReg.addr} failed: wrong username or password`,
    );
    expect(existsSync(authFilePath())).toBe(false);
  });

  it('logs in, stores docker-compatible credentials (0600), then pulls and pushes with them', async () => {
    const res = await login(basicReg.addr, { username: 'alice', password: 's3cret-pw' });
    expect(res.file).toBe(join(configDir, 'config.json'));
    const cfg = JSON.parse(readFileSync(res.file, 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(cfg.auths[basicReg.addr]!.auth, 'base64').toString()).toBe('alice:s3cret-pw');
    expect(statSync(res.file).mode & 0o777).toBe(0o600);
    // skopeo reads the same file (docker's format), so the credentials are the standard ones.
    const viaSkopeo = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--authfile', res.file, `docker://${basicReg.addr}/team/busybox:1`], { encoding: 'utf8' });
    const pulled = await pull(engine, `${basicReg.addr}/team/busybox:1`);
    expect(pulled.digest).toBe((JSON.parse(viaSkopeo) as { Digest: string }).Digest);
    engine.images.tag(pulled.image.id, `${basicReg.addr}/team/copy:2`);
    const pushed = await push(engine, `${basicReg.addr}/team/copy:2`);
    expect(pushed.digest).toBe(pulled.digest);
  });

  it('logs out, after which the registry refuses again', async () => {
    expect(logout(basicReg.addr)).toEqual({ domain: basicReg.addr, removed: true });
    expect(logout(basicReg.addr)).toEqual({ domain: basicReg.addr, removed: false });
    const cfg = JSON.parse(readFileSync(authFilePath(), 'utf8')) as { auths: Record<string, unknown> };
    expect(cfg.auths[basicReg.addr]).toBeUndefined();
    await expect(pull(engine, `${basicReg.addr}/team/copy:2`)).rejects.toThrow(/requires authentication/);
  });
});

describe('bearer token auth (token server in front of a real registry)', () => {
  it('pushes only with credentials, and pulls with an anonymous token', async () => {
    const name = `${proxy.addr}/bob/busybox:latest`;
    const img = engine.images.list()[0]!;
    engine.images.tag(img.id, name);
    await expect(push(engine, name)).rejects.toThrow(/requires authentication|refused/);
    await expect(login(proxy.addr, { username: 'bob', password: 'nope' })).rejects.toThrow(`login to ${proxy.addr} failed: wrong username or password`);
    await login(proxy.addr, { username: 'bob', password: 'hunter2' });
    const pushed = await push(engine, name);
    expect(skopeoDigest(`${openReg.addr}/bob/busybox:latest`)).toBe(pushed.digest);
    expect(proxy.tokenRequests.some((t) => t.account === 'bob' && t.scopes.includes('repository:bob/busybox:pull,push'))).toBe(true);

    logout(proxy.addr);
    const other = tempEngine();
    try {
      const before = proxy.tokenRequests.length;
      const pulled = await pull(other.engine, name);
      expect(pulled.digest).toBe(pushed.digest);
      const anon = proxy.tokenRequests.slice(before);
      expect(anon.length).toBeGreaterThan(0);
      expect(anon.every((t) => t.account === undefined && t.scopes.every((s) => s.endsWith(':pull')))).toBe(true);
    } finally {
      other.cleanup();
    }
  });
});
