import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';
import { freePort } from '../integration/registry/registry-server.js';

// A container started from the CLI with -p shows its published port as a link on the
// Containers page, and the link reaches what the container serves.
describe('published ports as links', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('shows http://127.0.0.1:PORT for a published port, and it answers', async () => {
    const { page } = s;
    const port = await freePort();
    s.cli('run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'localhost/busybox:latest', 'sh', '-c', 'mkdir -p /www && echo hello-ports > /www/index.html && exec httpd -f -p 80 -h /www');
    // the nav entry's name carries the running count ("Containers 1")
    await page.getByRole('navigation').getByRole('link', { name: /^Containers/ }).click();
    const link = page.getByTestId('container-row').filter({ hasText: 'web' }).getByTestId('ports').getByRole('link');
    await link.waitFor();
    await expect(link.textContent()).resolves.toBe(`127.0.0.1:${port}→80/tcp`);
    const url = await link.getAttribute('href');
    expect(url).toBe(`http://127.0.0.1:${port}`);
    await expect(link.getAttribute('target')).resolves.toBe('_blank');
    let text = '';
    for (let i = 0; i < 50 && !text; i++) {
      text = await fetch(url!).then((r) => r.text(), () => '');
      if (!text) await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toBe('hello-ports\n');
    await s.shot('containers-ports');
    s.cli('stop', '-t', '1', 'web');
    await link.waitFor({ state: 'detached' });
  });
});
