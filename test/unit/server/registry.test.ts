import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tempEngine, FIXTURES } from '../../helpers/tmp-store.js';
import { createApiRuntime } from '../../../main/server/api-runtime.js';
import { dispatch } from '../../../main/server/dispatch.js';
import type { MethodName, TaskProgressEvent } from '../../../shared/api.js';
import { startRegistry, type RunningRegistry } from '../../integration/registry/registry-server.js';

describe('registry logins, pull and push through the handler table', () => {
  const env = tempEngine();
  const api = createApiRuntime(env.engine);
  const config = mkdtempSync(join(tmpdir(), 'slipway-dockercfg-'));
  const savedDockerConfig = process.env.DOCKER_CONFIG;
  let reg: RunningRegistry;
  const progress: TaskProgressEvent[] = [];

  beforeAll(async () => {
    // Credentials go to a temp config.json, never the user's own auth file.
    process.env.DOCKER_CONFIG = config;
    reg = await startRegistry({ users: { alice: 'wonderland' } });
    api.hub.listen((e, d) => (e === 'task.progress' ? void progress.push(d as TaskProgressEvent) : undefined));
  }, 30_000);
  afterAll(async () => {
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    await reg?.stop();
    api.close();
    env.cleanup();
    rmSync(config, { recursive: true, force: true });
  });

  const call = (m: MethodName, p: unknown) => dispatch(api.handlers, m, p);
  const ok = async (m: MethodName, p: unknown) => {
    const r = await call(m, p);
    if ('error' in r) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.result as any;
  };

  it('a wrong password is refused with a reason and nothing is stored', async () => {
    const r = await call('registry.login', { registry: reg.addr, username: 'alice', password: 'wrong' });
    expect('error' in r && r.error.message).toMatch(/wrong username or password/);
    expect(await ok('registry.list', {})).toEqual([]);
    expect(existsSync(join(config, 'config.json'))).toBe(false);
  });

  it('an empty user name is rejected by the contract before the registry is asked', async () => {
    const r = await call('registry.login', { registry: reg.addr, username: '', password: 'x' });
    expect('error' in r && r.error.code).toBe('INVALID_ARGUMENT');
  });

  it('a good login is listed with its user name, never its password', async () => {
    expect(await ok('registry.login', { registry: `http://${reg.addr}/`, username: 'alice', password: 'wonderland' })).toEqual({ registry: reg.addr });
    const list = await ok('registry.list', {});
    expect(list).toEqual([{ registry: reg.addr, username: 'alice' }]);
    expect(JSON.stringify(list)).not.toContain('wonderland');
    expect(Object.keys(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths)).toEqual([reg.addr]);
  });

  it('push and pull run as tasks with one progress row per layer, using the stored login', async () => {
    const loaded = await api.tasks.wait((await ok('images.load', { path: join(FIXTURES, 'busybox-oci.tar') })).task);
    expect(loaded.state).toBe('done');
    const ref = `${reg.addr}/test/busybox:1`;
    const source = (loaded.result as { images: { id: string }[] }).images[0]!.id;
    await ok('images.tag', { ref: source, target: ref });

    const pushed = await ok('images.push', { ref });
    expect(pushed.task).toMatch(/^push-[0-9a-f]{12}$/);
    const pushInfo = await api.tasks.wait(pushed.task);
    expect(pushInfo.error).toBeUndefined();
    expect(pushInfo).toMatchObject({ state: 'done', result: { reference: ref, digest: expect.stringMatching(/^sha256:/) } });
    const pushRows = progress.filter((p) => p.task === pushed.task && p.layer);
    expect(pushRows.some((p) => p.layer!.status === 'pushed')).toBe(true);

    await ok('images.remove', { refs: [source], force: true });
    expect(await ok('images.list', {})).toEqual([]);

    const pulled = await ok('images.pull', { ref });
    const pullInfo = await api.tasks.wait(pulled.task);
    expect(pullInfo.error).toBeUndefined();
    expect(pullInfo).toMatchObject({ state: 'done', result: { tags: [ref], downloaded: true } });
    const pullRows = progress.filter((p) => p.task === pulled.task && p.layer);
    const last = pullRows.filter((p) => p.layer!.status === 'complete').at(-1)!.layer!;
    expect(last.current).toBe(last.total);
    expect(last.total).toBeGreaterThan(100_000);
    expect((await ok('images.list', {})).map((i: { tags: string[] }) => i.tags)).toEqual([[ref]]);
  }, 60_000);

  it('pushing an image that is not here fails at once, naming it', async () => {
    const r = await call('images.push', { ref: `${reg.addr}/nope:1` });
    expect('error' in r && r.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('nope:1') });
  });

  it('a pull of a missing tag ends failed with a one-line reason', async () => {
    const info = await api.tasks.wait((await ok('images.pull', { ref: `${reg.addr}/test/busybox:missing` })).task);
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/not found|unknown|manifest/i);
  }, 30_000);

  it('logout removes the login; a second logout says nothing was removed', async () => {
    expect(await ok('registry.logout', { registry: reg.addr })).toEqual({ registry: reg.addr, removed: true });
    expect(await ok('registry.list', {})).toEqual([]);
    expect(await ok('registry.logout', { registry: reg.addr })).toEqual({ registry: reg.addr, removed: false });
  });
});
