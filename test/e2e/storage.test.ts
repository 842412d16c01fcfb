import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

// The Volumes and Networks pages against a real `slipway ui` and engine: what the CLI does
// to a volume or a network shows without a reload, files come back out through downloads.
describe('Volumes and Networks in a browser against a real engine', () => {
  let s: Session;
  let dl: string;

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
    dl = mkdtempSync(join(tmpdir(), 'slipway-e2e-dl-'));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dl, { recursive: true, force: true });
  });

  it('creates a volume, shows a container’s file in it and downloads that file', async () => {
    const { page } = s;
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Volumes', exact: true }).click();
    await page.getByText('No volumes yet.').waitFor();
    await s.shot('volumes-empty');
    await page.getByRole('button', { name: 'New volume' }).click();
    await page.getByTestId('volume-name').fill('web-data');
    await page.getByLabel(/^Labels/).fill('team=web');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const row = page.locator('[data-testid="volume-row"][data-volume="web-data"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('unused');

    // a container writes into it; the list follows the engine's events
    s.cli('run', '--name', 'writer', '-v', 'web-data:/data', 'localhost/busybox:latest', 'sh', '-c', 'echo hi > /data/f; mkdir /data/logs; echo one > /data/logs/a.log; ln -s /etc/shadow /data/escape; ln -s ../../.. /data/up');
    s.cli('volume', 'create', 'scratch');
    await page.locator('[data-testid="volume-row"][data-volume="scratch"]').waitFor({ timeout: 5000 });
    await expect.poll(() => row.textContent(), { timeout: 5000 }).toContain('writer');
    await s.shot('volumes');

    // keyboard: arrows choose, Enter opens
    await page.getByTestId('volume-list').focus();
    const order = await page.getByTestId('volume-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-volume')));
    for (let i = 0; i <= order.indexOf('web-data'); i++) await page.keyboard.press('ArrowDown');
    await expect(row.getAttribute('aria-selected')).resolves.toBe('true');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'web-data' }).waitFor();
    const tree = page.getByTestId('layer-tree');
    await tree.getByText('f', { exact: true }).waitFor();
    await expect(tree.locator('.entry[data-path="/logs/a.log"]').textContent()).resolves.toMatch(/a\.log.*4B.*0644/s);
    // the link is shown as a link, never followed
    await expect(tree.locator('.entry[data-path="/escape"]').textContent()).resolves.toContain('→ /etc/shadow');
    await expect(tree.locator('.entry[data-path="/escape"] a').count()).resolves.toBe(0);
    await s.shot('volume-files');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download /f' }).click()]);
    expect(download.suggestedFilename()).toBe('f');
    await download.saveAs(join(dl, 'f'));
    expect(readFileSync(join(dl, 'f'), 'utf8')).toBe('hi\n');
    // asking the server for what the link points at by hand: refused, nothing read from the host
    const escaped = await page.evaluate(async () => (await fetch(`/api/volumes/file?volume=web-data&path=${encodeURIComponent('/escape')}`)).status);
    expect(escaped).toBe(400);
    // a link on the way is resolved inside the volume ("up" -> ../../.. is the volume's own top)
    const climbed = await page.evaluate(async () => (await fetch(`/api/volumes/file?volume=web-data&path=${encodeURIComponent('/up/etc/passwd')}`)).status);
    expect(climbed).toBe(404);
    const viaUp = await page.evaluate(async () => (await fetch(`/api/volumes/file?volume=web-data&path=${encodeURIComponent('/up/up/logs/a.log')}`)).text());
    expect(viaUp).toBe('one\n');
  });

  it('exports a volume as a tar and imports it into another', async () => {
    const { page } = s;
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toBe('web-data.tar');
    const tar = join(dl, 'web-data.tar');
    await download.saveAs(tar);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Volumes', exact: true }).click();
    await page.locator('[data-testid="volume-row"][data-volume="scratch"]').getByRole('link', { name: 'scratch' }).click();
    await page.getByText('The volume is empty.').waitFor();
    await page.getByTestId('import-file').setInputFiles(tar);
    await page.getByText(/^Imported web-data\.tar into scratch/).waitFor({ timeout: 15_000 });
    const tree = page.getByTestId('layer-tree');
    await tree.locator('.entry[data-path="/logs/a.log"]').waitFor();
    expect(s.cli('run', '--rm', '-v', 'scratch:/d', 'localhost/busybox:latest', 'cat', '/d/f', '/d/logs/a.log')).toBe('hi\none\n');
  });

  it('refuses to remove a volume in use, naming the container, and removes it once free', async () => {
    const { page } = s;
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Volumes', exact: true }).click();
    await page.getByTestId('volume-list').focus();
    const order = await page.getByTestId('volume-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-volume')));
    for (let i = 0; i <= order.indexOf('web-data'); i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Delete');
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toBe('volume web-data is in use by writer (exited): remove that container first');
    await s.shot('volume-remove-refused');
    await page.getByRole('button', { name: 'Cancel' }).click();
    s.cli('rm', 'writer');
    const row = page.locator('[data-testid="volume-row"][data-volume="web-data"]');
    await expect.poll(() => row.textContent(), { timeout: 5000 }).toContain('unused');
    await row.getByRole('button', { name: 'Remove web-data' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    expect(s.cli('volume', 'ls', '-q').split('\n')).not.toContain('web-data');
  });

  it('creates a network, connects two containers, shows their addresses and disconnects one', async () => {
    const { page } = s;
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Networks', exact: true }).click();
    await page.locator('[data-testid="network-row"][data-network="bridge"]').waitFor();
    await page.getByRole('button', { name: 'New network' }).click();
    await page.getByTestId('network-name').fill('e2e-net');
    await page.getByTestId('network-subnet').fill('10.213.57.0/24');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const row = page.locator('[data-testid="network-row"][data-network="e2e-net"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('10.213.57.0/24');

    s.cli('run', '-d', '--name', 'alpha', '--network', 'bridge', 'localhost/busybox:latest', 'sleep', '300');
    s.cli('run', '-d', '--name', 'beta', '--network', 'bridge', 'localhost/busybox:latest', 'sleep', '300');
    await row.getByRole('link', { name: 'e2e-net' }).click();
    await page.getByRole('heading', { name: 'e2e-net' }).waitFor();
    await page.getByText('No container is attached.').waitFor();
    for (const [name, alias] of [['alpha', 'db'], ['beta', '']] as const) {
      await page.getByRole('button', { name: 'Connect a container…' }).click();
      const id = s.cli('inspect', '-f', '{{.Id}}', name).trim();
      await page.getByTestId('connect-container').selectOption(id);
      if (alias) await page.getByLabel(/^Aliases/).fill(alias);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.locator(`[data-testid="member-row"][data-container="${name}"]`).waitFor();
    }
    const members = page.getByTestId('member-row');
    await expect.poll(() => members.allTextContents(), { timeout: 5000 }).toEqual([
      expect.stringMatching(/alpha.*running.*10\.213\.57\.\d+\/24.*db/s),
      expect.stringMatching(/beta.*running.*10\.213\.57\.\d+\/24/s),
    ]);
    // the addresses are the ones the containers really have
    const ip = (await members.first().locator('td').nth(2).textContent())!.split('/')[0]!;
    expect(s.cli('exec', 'alpha', 'ip', '-4', 'addr')).toContain(ip);
    await s.shot('network');
    await page.emulateMedia({ colorScheme: 'dark' });
    await s.shot('network-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await page.getByRole('button', { name: 'Disconnect alpha' }).click();
    await page.locator('[data-testid="member-row"][data-container="alpha"]').waitFor({ state: 'detached' });
    await expect(members.count()).resolves.toBe(1);
    expect(s.cli('network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'e2e-net').trim()).toBe('beta');

    // back in the list: removing it is refused while beta is on it
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Networks', exact: true }).click();
    await expect.poll(() => row.textContent(), { timeout: 5000 }).toContain('1: beta');
    await s.shot('networks');
    await row.getByRole('button', { name: 'Remove e2e-net' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(page.getByRole('alert').first().textContent()).resolves.toBe('network e2e-net has containers attached: beta (running); disconnect them first');
    await page.getByRole('button', { name: 'Cancel' }).click();
    // a network the CLI removes leaves the list by itself
    s.cli('network', 'create', 'from-cli');
    await page.locator('[data-testid="network-row"][data-network="from-cli"]').waitFor({ timeout: 5000 });
    s.cli('network', 'rm', 'from-cli');
    await page.locator('[data-testid="network-row"][data-network="from-cli"]').waitFor({ state: 'detached', timeout: 5000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Volumes', exact: true }).click();
    await page.getByTestId('volume-row').first().waitFor();
    await s.shot('volumes-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
