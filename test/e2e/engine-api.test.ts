import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

// The app serves the Docker Engine API while it runs (as Docker Desktop does): the Settings
// page gives the DOCKER_HOST line, the real docker CLI lists the app's containers through it,
// and the setting turns it off and on.
describe('the Engine API served by the app', () => {
  let s: Session;
  const docker = (...args: string[]) => spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${s.apiSocket}` }, encoding: 'utf8', timeout: 60_000 });
  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('shows the DOCKER_HOST line, docker reaches the app through it, and the setting stops and restarts it', async () => {
    const { page } = s;
    s.cli('create', '--name', 'via-app', 'localhost/busybox:latest', 'true');
    await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByTestId('docker-host').textContent()).resolves.toBe(`export DOCKER_HOST=unix://${s.apiSocket}`);
    const ps = docker('ps', '-a', '--format', '{{.Names}}');
    expect(ps.stderr).toBe('');
    expect(ps.stdout.trim()).toBe('via-app');
    await s.shot('settings');

    await page.getByTestId('serve-engine-api').uncheck();
    await page.getByTestId('engine-api-off').waitFor();
    expect(existsSync(s.apiSocket)).toBe(false);
    const off = docker('ps');
    expect(off.status).not.toBe(0);
    expect(off.stderr).toContain('Cannot connect to the Docker daemon');

    await page.getByTestId('serve-engine-api').check();
    await page.getByTestId('docker-host').waitFor();
    expect(docker('ps', '-a', '-q').stdout.trim()).toHaveLength(12);
  });
});
