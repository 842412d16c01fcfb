import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

// The home dashboard and the Image page's Size section, against a real `slipway ui`.
describe('Home dashboard and image size', () => {
  let s: Session;
  let ctxDir: string;

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
    ctxDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-size-'));
    writeFileSync(join(ctxDir, 'Dockerfile'), 'FROM localhost/busybox:latest\nRUN dd if=/dev/zero of=/big bs=1M count=5\nRUN rm /big\n');
  });
  afterAll(async () => {
    await s?.close();
    rmSync(ctxDir, { recursive: true, force: true });
  });

  it('opens on Home with the counts and the disk use per kind', async () => {
    const { page } = s;
    await expect(page.getByRole('heading', { name: 'Home' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Home' }).getAttribute('aria-current')).resolves.toBe('page');
    await expect(page.getByTestId('images-count').textContent()).resolves.toMatch(/Images\s*1/);
    await expect(page.getByTestId('running').textContent()).resolves.toMatch(/Running containers\s*0/);
    await expect(page.getByTestId('disk-images').getByTestId('size').textContent()).resolves.toBe('2.13MB');
    for (const k of ['containers', 'volumes', 'buildCache']) await page.getByTestId(`disk-${k}`).waitFor();
    await expect(page.getByTestId('top-image').first().textContent()).resolves.toMatch(/localhost\/busybox:latest\s*2\.13MB/);
  });

  it('asks the server nothing while idle (no polling; it reloads on engine events only)', async () => {
    const { page } = s;
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
    await page.reload();
    await page.getByTestId('disk-images').waitFor();
    await page.waitForTimeout(1000);
    const settled = sent.length;
    expect(sent.some((f) => f.includes('system.df'))).toBe(true);
    await page.waitForTimeout(3000);
    expect(sent.slice(settled)).toEqual([]);
  });

  it('follows the engine live: a CLI build, a running container and a volume show up without a reload', async () => {
    const { page } = s;
    s.cli('build', '-q', '-t', 'e2e/waste:1', ctxDir);
    await page.getByTestId('images-count').filter({ hasText: /Images\s*2/ }).waitFor();
    s.cli('volume', 'create', 'e2e-data');
    s.cli('run', '--rm', '-v', 'e2e-data:/data', 'localhost/busybox:latest', 'sh', '-c', 'dd if=/dev/zero of=/data/blob bs=1M count=3 2>/dev/null');
    s.cli('run', '-d', '--name', 'e2e-sleeper', 'localhost/busybox:latest', 'sleep', '300');
    await page.getByTestId('running').filter({ hasText: /Running containers\s*1/ }).waitFor();
    const vols = page.getByTestId('disk-volumes');
    await vols.getByTestId('count').filter({ hasText: /^1$/ }).waitFor();
    // 3 MiB in the volume, no container mounts it any more
    await vols.getByTestId('size').filter({ hasText: /^3\.15MB$/ }).waitFor();
    // reclaimable once the --rm container is gone: the size can arrive a refresh before its destroy
    await expect.poll(() => vols.getByTestId('reclaimable').textContent(), { timeout: 10_000 }).toBe('3.15MB');
    await page.getByTestId('top-volume').filter({ hasText: 'e2e-data' }).waitFor();
    await s.shot('home');
  });

  it('reclaims unused volumes after a confirm, and the numbers change', async () => {
    const { page } = s;
    const vols = page.getByTestId('disk-volumes');
    await vols.getByRole('button', { name: 'Reclaim' }).click();
    const dialog = page.getByRole('dialog', { name: /Reclaim volumes/ });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toMatch(/every volume no container mounts/);
    await s.shot('home-reclaim-confirm');
    // Cancel first: nothing goes
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(s.cli('volume', 'ls', '-q').trim()).toBe('e2e-data');
    await vols.getByRole('button', { name: 'Reclaim' }).click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText(/Volumes: removed 1, reclaimed 3\.15MB/).waitFor();
    await vols.getByTestId('count').filter({ hasText: /^0$/ }).waitFor();
    await expect(vols.getByTestId('size').textContent()).resolves.toBe('0B');
    expect(s.cli('volume', 'ls', '-q').trim()).toBe('');
  });

  it('reclaims stopped containers: the container count drops', async () => {
    const { page } = s;
    s.cli('stop', '-t', '0', 'e2e-sleeper');
    const ctrs = page.getByTestId('disk-containers');
    await page.getByTestId('running').filter({ hasText: /Running containers\s*0/ }).waitFor();
    await expect(ctrs.getByTestId('count').textContent()).resolves.toBe('1');
    await ctrs.getByRole('button', { name: 'Reclaim' }).click();
    await page.getByRole('dialog', { name: /Reclaim containers/ }).getByRole('button', { name: 'Remove' }).click();
    await ctrs.getByTestId('count').filter({ hasText: /^0$/ }).waitFor();
    expect(s.cli('ps', '-aq').trim()).toBe('');
  });

  it('shows on the Image page what a later layer wasted, with the Dockerfile line', async () => {
    const { page } = s;
    await page.getByTestId('top-image').getByRole('link', { name: 'e2e/waste:1' }).click();
    await page.getByRole('tab', { name: 'Size' }).click();
    await expect(page.getByTestId('wasted').textContent()).resolves.toBe('5.24MB');
    await expect(page.getByTestId('score').textContent()).resolves.toMatch(/^\d+\.\d%$/);
    expect(parseFloat((await page.getByTestId('score').textContent())!)).toBeLessThan(100);
    await expect(page.getByTestId('wasted-path').first().textContent()).resolves.toMatch(/\/big.*5\.24MB.*1, 2.*deleted/);
    await expect(page.getByTestId('top-file').first().textContent()).resolves.toMatch(/^\/big\s\(not in the final image\)5\.24MB1$/);
    const heavy = page.getByTestId('size-layer').nth(1);
    await expect(heavy.textContent()).resolves.toMatch(/5\.24MB wasted.*Dockerfile line 2 RUN dd if=\/dev\/zero of=\/big bs=1M count=5/s);
    await s.shot('image-size');
  });

  it('an image without waste scores 100%', async () => {
    const { page } = s;
    await page.goto(`${s.url.split('#')[0]}#/image/${encodeURIComponent('localhost/busybox:latest')}`);
    await page.getByRole('tab', { name: 'Size' }).click();
    await expect(page.getByTestId('wasted').textContent()).resolves.toBe('0B');
    await expect(page.getByTestId('score').textContent()).resolves.toBe('100.0%');
  });
});
