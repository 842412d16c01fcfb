import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';
import { startRegistry, skopeoDigest, type RunningRegistry } from '../integration/registry/registry-server.js';

// Push from the Image page to Debian's docker-registry on 127.0.0.1, then pull it back on the
// Pull page: each layer shows as its own row with status and bytes.
describe('pull and push in the browser against a real registry', () => {
  let s: Session;
  let reg: RunningRegistry;
  const config = mkdtempSync(join(tmpdir(), 'slipway-e2e-dockercfg-'));
  const saved = process.env.DOCKER_CONFIG;

  beforeAll(async () => {
    process.env.DOCKER_CONFIG = config; // the server inherits it: no user credentials involved
    reg = await startRegistry();
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
  });
  afterAll(async () => {
    await s?.close();
    await reg?.stop();
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    rmSync(config, { recursive: true, force: true });
  });

  it('pushes an image from its page, one row per layer', async () => {
    const { page } = s;
    const ref = `${reg.addr}/e2e/busybox:1`;
    s.cli('tag', 'localhost/busybox:latest', ref);
    await page.goto(`${s.url.split('#')[0]}#/image/${encodeURIComponent(ref)}`);
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    const transfer = page.getByTestId('transfer');
    await transfer.and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    const rows = transfer.getByTestId('transfer-layer');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().getAttribute('data-status')).resolves.toBe('pushed');
    await expect(rows.first().textContent()).resolves.toMatch(/Pushed/);
    await s.shot('push');
    // the registry has it, as a reference tool sees it
    expect(skopeoDigest(ref)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('builds on the Build page and pushes the tag when the build succeeds', async () => {
    const { page } = s;
    const ref = `${reg.addr}/e2e/built:1`;
    const ctx = mkdtempSync(join(tmpdir(), 'slipway-e2e-pushctx-'));
    await page.getByRole('link', { name: 'Build', exact: true }).click();
    await page.getByTestId('dockerfile').fill('FROM localhost/busybox:latest\nRUN echo built and pushed > /pushed\n');
    await page.getByTestId('dockerfile').dispatchEvent('input');
    await page.getByTestId('context').fill(ctx);
    await expect(page.getByTestId('push-when-built').isDisabled()).resolves.toBe(true); // no tag yet
    // the engine's reference grammar, in its words: a registry port is fine, upper case is not
    await page.getByTestId('tags').fill(`${reg.addr}/E2E/built:1`);
    await expect.poll(() => page.locator('.buildbar').textContent()).toContain('repository name must be lowercase');
    await expect(page.getByTestId('build').isDisabled()).resolves.toBe(true);
    await page.getByTestId('tags').fill(ref);
    await page.getByTestId('push-when-built').check();
    await page.getByTestId('build').click();
    await page.getByTestId('pushed').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('pushed').textContent()).resolves.toMatch(new RegExp(`Pushed ${ref.replace(/[.:/]/g, '\\$&')} sha256:`));
    await s.shot('build-pushed');
    // the registry has it, as a reference tool sees it, with the layer the build made
    expect(skopeoDigest(ref)).toMatch(/^sha256:[0-9a-f]{64}$/);
    rmSync(ctx, { recursive: true, force: true });
  });

  it('pulls it back on the Pull page; the rows stay when the user leaves and returns', async () => {
    const { page } = s;
    const ref = `${reg.addr}/e2e/busybox:1`;
    s.cli('rmi', ref, 'localhost/busybox:latest');
    await page.getByRole('link', { name: 'Pull', exact: true }).click();
    await page.getByLabel('Image reference').fill(ref);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    const transfer = page.getByTestId('transfer').first();
    await transfer.waitFor();
    // leave and come back: the pull is an engine task, its rows live outside the page
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.getByRole('link', { name: 'Pull', exact: true }).click();
    await page.getByTestId('transfer').first().and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
    const row = page.getByTestId('transfer-layer').first();
    await expect(row.getAttribute('data-status')).resolves.toBe('complete');
    await expect(row.textContent()).resolves.toMatch(/Pull complete.*\d.*\/ /s);
    await s.shot('pull');
    await page.getByRole('link', { name: /^Open image / }).click();
    await page.getByRole('heading', { name: ref }).waitFor();
    expect(s.cli('images', '--format', '{{.Repository}}:{{.Tag}}')).toContain(ref);
  });

  it('logs in to a registry that requires it from the Pull page, and removes the login', async () => {
    const { page } = s;
    const authed = await startRegistry({ users: { alice: 'wonderland' } });
    try {
      await page.getByRole('link', { name: 'Pull', exact: true }).click();
      await page.getByLabel('Registry', { exact: true }).fill(authed.addr);
      await page.getByLabel('User name').fill('alice');
      await page.getByLabel('Password').fill('wrong');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'wrong username or password' }).textContent()).resolves.toContain(authed.addr);
      await page.getByLabel('Password').fill('wonderland');
      await page.getByRole('button', { name: 'Log in' }).click();
      const row = page.getByTestId('registry-login').filter({ hasText: authed.addr });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain('as alice');
      // the browser bridge keeps it in the engine's credentials file, as `slipway login` does
      expect(Object.keys(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths)).toContain(authed.addr);
      await s.shot('registry-logins');
      await row.getByRole('button', { name: 'Remove' }).click();
      await row.waitFor({ state: 'detached' });
    } finally {
      await authed.stop();
    }
  });

  it('a pull of a name the registry does not have says so', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Pull', exact: true }).click();
    await page.getByLabel('Image reference').fill(`${reg.addr}/e2e/nothing:here`);
    await page.getByRole('button', { name: 'Pull', exact: true }).click();
    const failed = page.getByTestId('transfer').first().and(page.locator('[data-state="failed"]'));
    await failed.waitFor({ timeout: 30_000 });
    await expect(failed.textContent()).resolves.toMatch(/not found|unknown|manifest/i);
  });
});
