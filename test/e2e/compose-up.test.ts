import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

const YAML = [
  'services:',
  '  web:',
  '    image: busybox:latest',
  "    command: sh -c 'echo web is up; sleep 300'",
  '  worker:',
  '    image: busybox:latest',
  "    command: sh -c 'echo worker is up; sleep 300'",
  '',
].join('\n');

// A compose file dropped on the window (a browser: its text) shows its services on the Apps
// page; Up runs Debian's docker-compose against the app's own Engine API socket, streaming its
// output, and the new app appears as one row. A folder named by its path is read the same way.
describe('Apps: up from a dropped compose file', () => {
  let s: Session;
  const env = () => ({ PATH: process.env.PATH, HOME: s.root, DOCKER_HOST: `unix://${s.apiSocket}`, DOCKER_CONFIG: join(s.root, 'docker-config') });
  const compose = (...args: string[]) => spawnSync('/usr/bin/docker-compose', args, { env: env(), cwd: s.root, encoding: 'utf8', timeout: 240_000 });

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
    s.cli('tag', 'localhost/busybox:latest', 'busybox:latest');
  });
  afterAll(async () => {
    if (s) compose('-p', 'dropped', '-f', join(s.root, 'unused.yml'), 'down');
    await s?.close();
  });

  it('reads the dropped file, brings it up through docker-compose and shows the app', async () => {
    const { page } = s;
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Images', exact: true }).click();
    await page.evaluate((yaml) => {
      const dt = new DataTransfer();
      dt.items.add(new File([yaml], 'docker-compose.yml'));
      window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, YAML);
    // the drop opens Apps with the file's services, as docker-compose reads them
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await expect.poll(() => page.getByTestId('compose-service').allTextContents(), { timeout: 20_000 }).toEqual(['web', 'worker']);
    await expect(page.getByTestId('compose-info').textContent()).resolves.toContain('runs from a copy in the store');
    await page.getByTestId('compose-project').fill('dropped');
    await page.getByTestId('compose-up-button').click();
    await page.getByTestId('compose-done').waitFor({ timeout: 120_000 });
    const out = (await page.getByTestId('compose-output').textContent()) ?? '';
    expect(out).toMatch(/dropped_web_1/);
    expect(out).toMatch(/dropped_worker_1/);
    const row = page.locator('[data-testid="app-row"][data-app="dropped"]');
    await expect.poll(() => row.getByTestId('app-summary').textContent(), { timeout: 15_000 }).toBe('2/2 running');
    await s.shot('compose-up');
    // what the engine has is what docker-compose made: both services' containers, running
    const ps = spawnSync('/usr/bin/docker', ['ps', '--filter', 'label=com.docker.compose.project=dropped', '--format', '{{.Names}}'], { env: env(), encoding: 'utf8' });
    expect(ps.stdout.split('\n').filter(Boolean).sort()).toEqual(['dropped_web_1', 'dropped_worker_1']);
  });

  it('reads a folder named by its path, and says when a path holds no compose file', async () => {
    const { page } = s;
    const dir = join(s.root, 'shop');
    mkdirSync(dir);
    await page.getByTestId('compose-path').fill(dir);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => page.getByTestId('compose-error').textContent(), { timeout: 20_000 }).toBe(`${dir} holds no compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)`);
    writeFileSync(join(dir, 'compose.yaml'), YAML);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => page.getByTestId('compose-service').allTextContents(), { timeout: 20_000 }).toEqual(['web', 'worker']);
    await expect(page.getByTestId('compose-project').inputValue()).resolves.toBe('shop');
    await expect(page.getByTestId('compose-info').textContent()).resolves.toContain(join(dir, 'compose.yaml'));
  });
});
