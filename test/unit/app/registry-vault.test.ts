import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tempEngine, FIXTURES } from '../../helpers/tmp-store.js';
import { createApiRuntime } from '../../../main/server/api-runtime.js';
import { dispatch } from '../../../main/server/dispatch.js';
import { RegistryVault, vaultHandlers, type SafeStorageLike } from '../../../main/app/registry-vault.js';
import type { MethodName } from '../../../shared/api.js';
import { startRegistry, type RunningRegistry } from '../../integration/registry/registry-server.js';

// Electron's safeStorage cannot run here: this stand-in is reversible and visibly not the plain text.
const safeStorage: SafeStorageLike & { available: boolean } = {
  available: true,
  isEncryptionAvailable() { return this.available; },
  encryptString: (s) => Buffer.from(`enc:${[...s].reverse().join('')}`),
  decryptString: (b) => [...b.toString().replace(/^enc:/, '')].reverse().join(''),
};

describe('registry logins in the desktop app (kept with safeStorage)', () => {
  const env = tempEngine();
  const api = createApiRuntime(env.engine);
  const vaultFile = join(env.root, 'app-registry-logins.json');
  Object.assign(api.handlers, vaultHandlers(env.engine, api.tasks, new RegistryVault(vaultFile, safeStorage)));
  const config = mkdtempSync(join(tmpdir(), 'slipway-dockercfg-'));
  const saved = process.env.DOCKER_CONFIG;
  let reg: RunningRegistry;

  beforeAll(async () => {
    process.env.DOCKER_CONFIG = config; // the engine's auth file stays empty: only the vault can log in
    reg = await startRegistry({ users: { alice: 'wonderland' } });
  }, 30_000);
  afterAll(async () => {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
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

  it('a wrong password is refused and nothing is kept', async () => {
    const r = await call('registry.login', { registry: reg.addr, username: 'alice', password: 'nope' });
    expect('error' in r && r.error.message).toMatch(/wrong username or password/);
    expect(existsSync(vaultFile)).toBe(false);
    expect(await ok('registry.list', {})).toEqual([]);
  });

  it('a good login is kept encrypted, listed by user name, and never written to auth.json', async () => {
    expect(await ok('registry.login', { registry: reg.addr, username: 'alice', password: 'wonderland' })).toEqual({ registry: reg.addr });
    expect(await ok('registry.list', {})).toEqual([{ registry: reg.addr, username: 'alice' }]);
    const text = readFileSync(vaultFile, 'utf8');
    expect(text).not.toContain('wonderland');
    expect(text).not.toContain(Buffer.from('wonderland').toString('base64'));
    expect(statSync(vaultFile).mode & 0o777).toBe(0o600);
    expect(existsSync(join(config, 'config.json'))).toBe(false);
  });

  it('push and pull to a registry that requires auth use the kept login', async () => {
    const loaded = await api.tasks.wait((await ok('images.load', { path: join(FIXTURES, 'busybox-oci.tar') })).task);
    const source = (loaded.result as { images: { id: string }[] }).images[0]!.id;
    const ref = `${reg.addr}/private/busybox:1`;
    await ok('images.tag', { ref: source, target: ref });
    const pushed = await api.tasks.wait((await ok('images.push', { ref })).task);
    expect(pushed.error).toBeUndefined();
    expect(pushed.state).toBe('done');
    await ok('images.remove', { refs: [source], force: true });
    const pulled = await api.tasks.wait((await ok('images.pull', { ref })).task);
    expect(pulled.error).toBeUndefined();
    expect(pulled.result).toMatchObject({ tags: [ref] });
  }, 60_000);

  it('after logout the registry refuses the same pull', async () => {
    expect(await ok('registry.logout', { registry: reg.addr })).toEqual({ registry: reg.addr, removed: true });
    expect(await ok('registry.list', {})).toEqual([]);
    const info = await api.tasks.wait((await ok('images.pull', { ref: `${reg.addr}/private/busybox:1` })).task);
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/auth|login|unauthorized|401|denied/i);
  }, 30_000);

  it('without a keychain the login is refused with the way out', async () => {
    safeStorage.available = false;
    const r = await call('registry.login', { registry: reg.addr, username: 'alice', password: 'wonderland' });
    safeStorage.available = true;
    expect('error' in r && r.error.message).toMatch(/keychain.*slipway login/);
    expect(await ok('registry.list', {})).toEqual([]);
  });
});
