import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

// One user session through the whole story, in order: the pages build on what the earlier
// steps made (an image built here is run, its container stopped, committed, shown in History).
describe('Slipway in a browser against a real engine', () => {
  let s: Session;
  let ctxDir: string;

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
    ctxDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-ctx-'));
    writeFileSync(join(ctxDir, 'motd.txt'), 'hello from the context\n');
  });
  afterAll(async () => {
    await s?.close();
    rmSync(ctxDir, { recursive: true, force: true });
  });

  it('lists the loaded image with its size and origin', async () => {
    const { page } = s;
    // Home is the first page; the images list is one click away
    await page.getByRole('navigation').getByRole('link', { name: 'Images', exact: true }).click();
    const row = page.getByTestId('image-row').filter({ hasText: 'localhost/busybox:latest' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/fbf678b4abc9.*2\.13MB/s);
    await s.shot('images');
    // the keyboard: ↓ chooses the first row, Enter opens its image
    await page.getByTestId('image-list').focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByTestId('image-row').first().getAttribute('aria-selected')).resolves.toBe('true');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'localhost/busybox:latest' }).waitFor();
    await page.goBack();
    await page.getByTestId('image-row').first().waitFor();
    // the theme follows the OS
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(page.evaluate(() => getComputedStyle(document.body).backgroundColor)).resolves.toBe('rgb(20, 23, 28)');
    await s.shot('images-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows an image’s layers and the files each layer added', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'localhost/busybox:latest' }).click();
    await page.getByTestId('layer-row').first().waitFor();
    await s.shot('image-layers');
    await page.getByRole('button', { name: 'Files' }).first().click();
    const tree = page.getByTestId('layer-tree');
    await tree.waitFor();
    await expect(tree.getByText('busybox', { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText(/\+\d+ added/).textContent()).resolves.toMatch(/\+[1-9]\d* added/);
    await s.shot('image-layer-explorer');
    await page.getByRole('tab', { name: 'Config' }).click();
    await page.getByText('Entrypoint').waitFor();
    await s.shot('image-config');
  });

  it('composes a build by clicking, streams its steps, and runs the new image', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Build', exact: true }).click();
    await expect(page.getByTestId('base').inputValue()).resolves.toBe('localhost/busybox:latest');
    // row 1: COPY from the context
    await page.getByLabel('Instruction of step 1').selectOption('COPY');
    await page.getByLabel('Arguments of step 1').fill('motd.txt /etc/motd');
    // row 2: RUN
    await page.getByRole('button', { name: '+ RUN' }).click();
    await page.getByLabel('Arguments of step 2').fill('echo built by clicking > /greeting');
    // row 3: CMD
    await page.getByRole('button', { name: '+ CMD' }).click();
    await page.getByLabel('Arguments of step 3').fill('["sh", "-c", "cat /greeting /etc/motd; echo note > /note.txt; rm /etc/motd; sleep 300"]');
    await expect(page.getByTestId('dockerfile').inputValue()).resolves.toBe(
      'FROM localhost/busybox:latest\nCOPY motd.txt /etc/motd\nRUN echo built by clicking > /greeting\nCMD ["sh", "-c", "cat /greeting /etc/motd; echo note > /note.txt; rm /etc/motd; sleep 300"]\n',
    );
    await page.getByTestId('context').fill(ctxDir);
    await page.getByTestId('tags').fill('e2e/clicked:1');
    await s.shot('build-composer');
    await page.getByTestId('build').click();
    await page.getByTestId('built').waitFor({ timeout: 60_000 });
    const progress = await page.getByTestId('progress').textContent();
    expect(progress).toContain('RUN echo built by clicking');
    expect(progress).toMatch(/done/);
    await s.shot('build-done');
    expect(s.cli('images', '--format', '{{.Repository}}:{{.Tag}}')).toContain('e2e/clicked:1');

    await page.getByRole('button', { name: 'Run it' }).click();
    await page.getByLabel(/^Name/).fill('clicked');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByRole('heading', { name: 'clicked' }).waitFor();
    await expect.poll(() => page.getByTestId('logs').textContent(), { timeout: 15_000 }).toContain('built by clicking');
    await expect(page.getByTestId('logs').textContent()).resolves.toContain('hello from the context');
    await s.shot('container-logs');

    // a shell in the running container, through a real pty
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await expect.poll(() => page.getByTestId('terminal-status').textContent(), { timeout: 10_000 }).toBe('connected');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 10_000 }).toContain('/ #');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo $((6*7)) > /dev/null; echo answer=$((6*7)); hostname\n');
    await expect.poll(() => page.locator('.xterm-rows').textContent(), { timeout: 10_000 }).toContain('answer=42');
    await s.shot('container-terminal');
    // the pty follows the window: a smaller window is a smaller `stty size` inside
    const sizes = async () => [...((await page.locator('.xterm-rows').textContent()) ?? '').matchAll(/size=(\d+)x(\d+)=/g)].map((m) => [Number(m[1]), Number(m[2])]);
    await page.keyboard.type('clear; echo "size=$(stty size | tr " " x)="\n');
    await expect.poll(async () => (await sizes()).length, { timeout: 10_000 }).toBe(1);
    const [[rows, cols]] = await sizes();
    expect(cols).toBeGreaterThan(60);
    expect(rows).toBeGreaterThan(10);
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: viewport.width - 300, height: viewport.height - 200 });
    await page.keyboard.type('clear; echo "size=$(stty size | tr " " x)="\n');
    await expect.poll(async () => {
      const seen = await sizes();
      return seen.length === 1 && (seen[0]![0] !== rows || seen[0]![1] !== cols) ? seen[0] : undefined;
    }, { timeout: 10_000 }).toBeDefined();
    const [[rows2, cols2]] = await sizes();
    expect(cols2).toBeLessThan(cols);
    expect(rows2).toBeLessThan(rows);
    await page.setViewportSize(viewport);
    await page.getByRole('tab', { name: 'Logs' }).click();
  });

  it('tells about a start and a stop with desktop notifications and in the list', async () => {
    const { page } = s;
    await expect.poll(async () => (await s.desktopNotes()).map((n) => n.title), { timeout: 5000 }).toContain('clicked started');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(async () => (await s.desktopNotes()).map((n) => n.title), { timeout: 20_000 }).toContain('clicked stopped');
    const stopped = (await s.desktopNotes()).find((n) => n.title === 'clicked stopped')!;
    expect(stopped.body).toContain('e2e/clicked:1');
    expect(stopped.body).toContain('stopped by you');
    await page.getByRole('link', { name: /Notifications/ }).click();
    const notices = page.getByTestId('notice');
    await expect(notices.allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining('clicked stopped'), expect.stringContaining('clicked started')]));
    await s.shot('notifications');
  });

  it("names the Dockerfile line of each layer a build made, and whether it came from the cache", async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.getByRole('link', { name: /e2e\/clicked:1/ }).first().click();
    await page.getByTestId('layer-row').first().waitFor();
    // FROM is line 1; the composer wrote COPY on line 2 and RUN on line 3, both run by this build
    await expect.poll(() => page.getByTestId('layer-step').allTextContents(), { timeout: 10_000 }).toEqual(['Dockerfile line 2 · built', 'Dockerfile line 3 · built']);
    // the base image's layer was not made by a step here
    await expect(page.getByTestId('layer-row').first().getByTestId('layer-step').count()).resolves.toBe(0);
    await s.shot('image-build-steps');
  });

  it('commits a container and shows the new image in History', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByTestId('container-row').filter({ hasText: 'clicked' }).getByRole('link', { name: 'clicked', exact: true }).click();
    await page.getByRole('tab', { name: 'Changes' }).click();
    await page.getByTestId('change').first().waitFor();
    await expect
      .poll(() => page.getByTestId('change').allTextContents(), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['A /note.txt', 'D /etc/motd']));
    await s.shot('container-diff');
    await page.getByRole('button', { name: 'Commit…' }).click();
    await page.getByLabel('Repository:tag').fill('e2e/committed:1');
    await page.getByLabel('Message').fill('from the app');
    await page.getByRole('button', { name: 'Commit', exact: true }).click();
    await page.getByRole('heading', { name: 'e2e/committed:1' }).waitFor({ timeout: 30_000 });
    await expect(page.getByText('committed from container clicked').isVisible()).resolves.toBe(true);
    // the new top layer is exactly what the container changed
    await page.getByRole('tab', { name: 'Layer explorer' }).click();
    const tree = page.getByTestId('layer-tree');
    await tree.getByText('note.txt').waitFor();
    // the tree fills in as the layer is read: poll rather than read once
    await expect.poll(() => tree.locator('.entry.deleted').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('motd')]);
    await expect.poll(() => page.getByText(/−\d+ deleted/).textContent(), { timeout: 10_000 }).toBe('−1 deleted');
    await s.shot('image-committed-layer');
    await page.getByRole('link', { name: 'History', exact: true }).click();
    const node = page.locator('[data-testid="lineage-node"][data-label="docker.io/e2e/committed:1"]');
    await node.waitFor();
    await expect(page.locator('[data-testid="lineage-node"][data-kind="container"][data-label="clicked"]').count()).resolves.toBeGreaterThan(0);
    await s.shot('history');
    await node.click();
    await page.getByRole('heading', { name: 'e2e/committed:1' }).waitFor();
  });

  it('shows a container started from the CLI without a reload', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByTestId('container-row').first().waitFor();
    s.cli('run', '-d', '--name', 'from-cli', 'localhost/busybox:latest', 'sleep', '300');
    const row = page.locator('[data-testid="container-row"][data-name="from-cli"]');
    await row.waitFor({ timeout: 3000 });
    await expect.poll(() => row.getByTestId('status').textContent(), { timeout: 3000 }).toMatch(/^Up/);
    await expect.poll(async () => (await s.desktopNotes()).map((n) => n.title), { timeout: 3000 }).toContain('from-cli started');
    await s.shot('containers');
    // the keyboard: ↓ chooses a row, Space selects it (the bulk bar appears), Enter opens it
    await page.getByTestId('container-list').focus();
    await page.keyboard.press('ArrowDown');
    const first = page.getByTestId('container-row').first();
    await expect(first.getAttribute('aria-selected')).resolves.toBe('true');
    await page.keyboard.press(' ');
    await expect(page.getByRole('toolbar', { name: 'Selected containers' }).textContent()).resolves.toContain('1 selected');
    await page.keyboard.press(' ');
    await expect(page.getByRole('toolbar', { name: 'Selected containers' }).count()).resolves.toBe(0);
    const name = await first.getAttribute('data-name');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: name! }).waitFor();
    await page.goBack();
    await page.getByTestId('container-row').first().waitFor();
  });

  it('opens a dropped Dockerfile in Build and builds it', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['FROM localhost/busybox:latest\nENV DROPPED=yes\nRUN echo dropped > /dropped\n'], 'Dockerfile'));
      window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.getByRole('heading', { name: 'Build an image' }).waitFor();
    await expect(page.getByLabel('Instruction of step 1').inputValue()).resolves.toBe('ENV');
    await expect(page.getByLabel('Arguments of step 2').inputValue()).resolves.toBe('echo dropped > /dropped');
    await page.getByTestId('context').fill(ctxDir);
    await page.getByTestId('tags').fill('e2e/dropped:1');
    await page.getByTestId('build').click();
    await page.getByTestId('built').waitFor({ timeout: 60_000 });
    await page.getByRole('link', { name: 'Builds', exact: true }).click();
    await page.getByTestId('build-row').first().waitFor();
    await expect(page.getByTestId('build-row').first().textContent()).resolves.toContain('e2e/dropped:1');
    await page.getByTestId('build-row').first().getByRole('button', { name: 'Details' }).click();
    await page.getByText('RUN echo dropped > /dropped').first().waitFor();
    await s.shot('builds');
  });

  it('loads a dropped image archive (uploaded by the browser, loaded as a task)', async () => {
    const { page } = s;
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    const b64 = readFileSync(join(FIXTURES, 'busybox-oci.tar')).toString('base64');
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'busybox-oci.tar'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, b64);
    await page.getByText(/^Loaded busybox-oci\.tar: /).waitFor({ timeout: 30_000 });
    const loaded = (await page.getByText(/^Loaded busybox-oci\.tar: /).textContent())!.replace(/^Loaded busybox-oci\.tar: /, '').split(/[,;] /)[0]!;
    expect(loaded).not.toBe('nothing');
    expect(`${s.cli('images', '--format', '{{.Repository}}:{{.Tag}}')}\n${s.cli('images', '-q')}`).toContain(loaded);
    // the upload was only a stepping stone
    expect(readdirSync(join(s.root, 'tmp')).filter((n) => n.startsWith('upload-'))).toEqual([]);
  });

  it('marks a dropped file that does not parse at the bad line', async () => {
    const { page } = s;
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['FROM localhost/busybox:latest\nRUN true\nCOPPY a b\n'], 'Dockerfile'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.getByTestId('text-error').waitFor();
    await expect(page.getByTestId('text-error').textContent()).resolves.toBe('line 3: unknown instruction: COPPY (did you mean COPY?)');
    await s.shot('build-parse-error');
  });
});
