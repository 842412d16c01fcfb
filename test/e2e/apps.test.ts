import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { REPO, openSession, type Session } from './harness.js';

const COMPOSE_FILE = join(REPO, 'test', 'integration', 'api', 'compose', 'apps.yml');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

// A compose project brought up by Debian's docker-compose against the app's own Engine API
// socket is one row on the Apps page; the page's group actions and logs act on it, and what
// docker-compose made is gone after Remove (checked with docker against the same socket).
describe('Apps: a compose project in a browser against a real engine', () => {
  let s: Session;
  let dir: string;
  let port: number;
  const env = () => ({ PATH: process.env.PATH, HOME: s.root, DOCKER_HOST: `unix://${s.apiSocket}`, DOCKER_CONFIG: join(s.root, 'docker-config'), DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0', WEB_PORT: String(port) });
  const compose = (...args: string[]) => spawnSync('/usr/bin/docker-compose', ['-p', 'shop', '--no-ansi', ...args], { env: env(), cwd: dir, encoding: 'utf8', timeout: 240_000 });
  const docker = (...args: string[]) => {
    const r = spawnSync('/usr/bin/docker', args, { env: env(), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  };

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
    s.cli('tag', 'localhost/busybox:latest', 'busybox:latest'); // what `image: busybox` asks for
    dir = join(s.root, 'shop');
    mkdirSync(dir);
    copyFileSync(COMPOSE_FILE, join(dir, 'docker-compose.yml'));
    port = await freePort();
  });
  afterAll(async () => {
    if (s) compose('down', '-v');
    await s?.close();
  });

  it('shows the project as one app, stops and starts it, shows both services’ logs across runs, and removes it as docker-compose down -v', async () => {
    const { page } = s;
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Apps', exact: true }).click();
    await page.getByTestId('apps-empty').waitFor();
    await expect(page.getByTestId('apps-empty').textContent()).resolves.toContain(`export DOCKER_HOST=unix://${s.apiSocket}`);

    const up = compose('up', '-d');
    expect(up.status, up.stderr).toBe(0);
    const row = page.locator('[data-testid="app-row"][data-app="shop"]');
    const summary = row.getByTestId('app-summary');
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toBe('2/2 running');
    await expect(row.textContent()).resolves.toContain('web, worker');
    await expect(row.getByRole('link', { name: `127.0.0.1:${port}→8000/tcp` }).getAttribute('href')).resolves.toBe(`http://127.0.0.1:${port}`);
    await expect(row.textContent()).resolves.toContain(dir);

    // keyboard: the first row, → shows its containers (each a link to its page)
    await page.getByTestId('apps-list').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    const children = page.getByTestId('app-container-row');
    await expect.poll(() => children.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-container')} ${e.getAttribute('data-state')}`))).toEqual(['shop_web_1 running', 'shop_worker_1 running']);
    const webId = docker('inspect', '--format', '{{.Id}}', 'shop_web_1')[0]!;
    await expect(children.first().getByRole('link', { name: 'shop_web_1' }).getAttribute('href')).resolves.toBe(`#/containers/${webId}`);
    await page.getByRole('heading', { name: 'Apps' }).click(); // the picture without the focus ring
    await s.shot('apps');
    await page.emulateMedia({ colorScheme: 'dark' });
    await s.shot('apps-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await row.getByRole('button', { name: 'Stop shop', exact: true }).click();
    await expect.poll(() => summary.textContent(), { timeout: 15_000 }).toBe('0/2 running');
    await expect(row.getAttribute('data-state')).resolves.toBe('stopped');
    expect(docker('ps', '-a', '--format', '{{.Names}} {{.State}}').sort()).toEqual(['shop_web_1 exited', 'shop_worker_1 exited']);
    await row.getByRole('button', { name: 'Start shop', exact: true }).click();
    await expect.poll(() => summary.textContent(), { timeout: 15_000 }).toBe('2/2 running');
    expect(docker('ps', '--format', '{{.Names}}').sort()).toEqual(['shop_web_1', 'shop_worker_1']);

    // the app's page: Enter opens it; its logs hold both runs of both services, each line with its service
    await page.getByTestId('apps-list').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    await expect(page.getByTestId('app-folder').textContent()).resolves.toBe(dir);
    const logs = page.getByTestId('app-logs');
    const said = () => logs.locator('.line').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-service')}|${e.textContent}`).filter((t) => t.endsWith(' up')));
    await expect.poll(said, { timeout: 10_000 }).toEqual(['web|webweb up', 'worker|workerworker up', 'web|webweb up', 'worker|workerworker up']);
    await s.shot('app');

    // a compose container's row in Containers links to its app
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Containers' }).click();
    const link = page.locator('[data-testid="container-row"][data-name="shop_worker_1"]').getByTestId('container-app');
    await expect(link.getAttribute('href')).resolves.toBe('#/apps/shop');
    await link.click();
    await page.getByRole('heading', { name: 'shop' }).waitFor();

    // remove, with its volumes, after the confirm
    await page.getByRole('button', { name: 'Remove shop', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove app shop' });
    await expect(dialog.textContent()).resolves.toContain('shop_default');
    await dialog.getByTestId('remove-volumes').check();
    await expect(dialog.textContent()).resolves.toContain('shop_data');
    await s.shot('app-remove-confirm');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByTestId('apps-empty').waitFor({ timeout: 15_000 });
    expect(docker('ps', '-a', '--format', '{{.Names}}')).toEqual([]);
    expect(docker('network', 'ls', '--format', '{{.Name}}')).not.toContain('shop_default');
    expect(docker('volume', 'ls', '--format', '{{.Name}}')).toEqual([]);
  });
});
