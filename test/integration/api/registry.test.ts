import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../registry/registry-server.js';
import { api, docker, startService, type Service } from './harness.js';

/** docker login / push / pull through the Engine API against Debian's docker-registry on loopback. */
describe('registry verbs through the Engine API', () => {
  let svc: Service;
  let reg: RunningRegistry;
  const d = (...args: string[]) => docker(svc, args);
  beforeAll(async () => {
    svc = await startService();
    reg = await startRegistry({ users: { tester: 's3cret-pass' } });
  });
  afterAll(async () => {
    await reg?.stop();
    await svc?.stop();
  });

  it('login checks the credentials (POST /auth) and a wrong password is refused', () => {
    const bad = docker(svc, ['login', '-u', 'tester', '--password-stdin', reg.addr], { input: 'wrong\n' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/wrong username or password|unauthorized/i);
    const good = docker(svc, ['login', '-u', 'tester', '--password-stdin', reg.addr], { input: 's3cret-pass\n' });
    expect(good.stderr + good.stdout).toMatch(/Login Succeeded/);
    expect(good.code).toBe(0);
  });

  it('push sends X-Registry-Auth and shows docker\'s progress; pull brings it back; the image runs', () => {
    const ref = `${reg.addr}/api/busybox:1`;
    expect(d('tag', 'busybox', ref).code).toBe(0);
    const push = d('push', ref);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(new RegExp(`The push refers to repository \\[${reg.addr}/api/busybox\\]`));
    expect(push.stdout).toMatch(/1: digest: sha256:[0-9a-f]{64} size: \d+/);
    expect(d('rmi', ref).code).toBe(0);
    const pull = d('pull', ref);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(pull.stdout).toMatch(new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reg.addr}/api/busybox:1`));
    expect(d('run', '--rm', ref, 'echo', 'pulled').stdout).toBe('pulled\n');
  });

  it('pull of an image the registry does not have fails with the registry\'s word, and nothing half-made stays', async () => {
    const r = d('pull', `${reg.addr}/api/nonesuch:1`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not found|unknown/i);
    const imgs = (await api(svc, 'GET', '/images/json')).json() as Array<{ RepoTags: string[] }>;
    expect(imgs.flatMap((i) => i.RepoTags).some((t) => t.includes('nonesuch'))).toBe(false);
  });

  it('search answers 501 naming itself', () => {
    const r = d('search', 'busybox');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/image search .* is not implemented by Slipway yet/);
  });
});
