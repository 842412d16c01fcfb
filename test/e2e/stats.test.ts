import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/tmp-store.js';
import { openSession, type Session } from './harness.js';

// Live resource use in the app, against a real `slipway ui` and real containers: the
// Containers list's CPU and memory columns, and the Container page's Resources graphs.
describe('live resource use', () => {
  let s: Session;
  const percent = (t: string | null) => parseFloat((t ?? '').replace('%', ''));

  beforeAll(async () => {
    s = await openSession({ fixtures: [join(FIXTURES, 'busybox-docker.tar')] });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('asks nothing on the Containers page while nothing runs', async () => {
    const { page } = s;
    s.cli('create', '--name', 'e2e-idle-stopped', 'localhost/busybox:latest', 'true');
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
    await page.getByRole('navigation').getByRole('link', { name: 'Containers', exact: true }).click();
    await page.getByTestId('container-row').filter({ hasText: 'e2e-idle-stopped' }).waitFor();
    await page.waitForTimeout(500);
    const settled = sent.length;
    await page.waitForTimeout(3000);
    expect(sent.slice(settled).filter((f) => f.includes('stats.'))).toEqual([]);
    await expect(page.getByTestId('container-row').filter({ hasText: 'e2e-idle-stopped' }).getByTestId('cpu').textContent()).resolves.toMatch(/^\s*–\s*$/);
  });

  it('shows a CPU loop\'s CPU % and memory live in the list, and it sorts to the top of the CPU column', async () => {
    const { page } = s;
    s.cli('run', '-d', '--name', 'e2e-quiet', '-m', '64m', 'localhost/busybox:latest', 'sh', '-c', 'dd if=/dev/zero of=/dev/shm/x bs=1M count=12 2>/dev/null; sleep 600');
    s.cli('run', '-d', '--name', 'e2e-spin', 'localhost/busybox:latest', 'sh', '-c', 'while :; do :; done');
    const spin = page.getByTestId('container-row').filter({ hasText: 'e2e-spin' });
    const quiet = page.getByTestId('container-row').filter({ hasText: 'e2e-quiet' });
    await expect.poll(async () => percent(await spin.getByTestId('cpu').textContent()), { timeout: 15_000 }).toBeGreaterThan(20);
    await expect.poll(async () => (await quiet.getByTestId('mem').textContent())?.trim(), { timeout: 10_000 }).toMatch(/^1\d(\.\d+)?MiB$/);
    await expect(quiet.getByTestId('mem').getAttribute('title')).resolves.toMatch(/ of 64MiB$/);
    // the numbers move about once a second: two readings of the spark line a few seconds apart differ
    const points = async () => Number(await spin.getByTestId('cpu').locator('svg').getAttribute('data-points'));
    const before = await points();
    // and the row does not move as they do: the cells have fixed widths and tabular digits
    const boxes = () => Promise.all(['cpu', 'mem'].map(async (k) => spin.getByTestId(k).boundingBox()).concat([spin.locator('.c-cmd').boundingBox()]));
    const placed = await boxes();
    await page.waitForTimeout(2500);
    expect(await points()).toBeGreaterThan(before);
    expect(await boxes()).toEqual(placed);

    const names = () => page.getByTestId('container-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    const cpuHeader = page.getByRole('button', { name: /^CPU %/ });
    await cpuHeader.click();
    await expect(page.getByRole('columnheader', { name: /CPU %/ }).getAttribute('aria-sort')).resolves.toBe('descending');
    expect((await names())[0]).toBe('e2e-spin');
    await cpuHeader.click();
    expect((await names()).at(-1)).toBe('e2e-spin'); // ascending: stopped ones (no reading) first, the busiest last
    await page.getByRole('button', { name: /^Memory/ }).click();
    expect((await names())[0]).toBe('e2e-quiet'); // 12 MiB in /dev/shm beats a shell loop
    await cpuHeader.click();
    // the screenshot shows a spark line of (nearly) a full minute
    await expect.poll(points, { timeout: 90_000, intervals: [1000] }).toBeGreaterThanOrEqual(55);
    await s.shot('stats-list');
  });

  it('puts the busiest containers on Home, a CPU loop first', async () => {
    const { page } = s;
    await page.getByRole('navigation').getByRole('link', { name: 'Home', exact: true }).click();
    const rows = page.getByTestId('busiest').getByTestId('busy-row');
    await expect.poll(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-name'))), { timeout: 10_000 }).toEqual(['e2e-spin', 'e2e-quiet']);
    expect(percent(await rows.first().getByTestId('cpu').textContent())).toBeGreaterThan(20);
    await s.shot('stats-home');
    await page.getByRole('navigation').getByRole('link', { name: /^Containers/ }).click(); // its name has the running count
  });

  it('draws the container\'s CPU, memory, network and block I/O over time, with its limits and restarts', async () => {
    const { page } = s;
    await page.getByTestId('container-row').filter({ hasText: 'e2e-spin' }).getByRole('link', { name: 'e2e-spin', exact: true }).click();
    await page.getByRole('tab', { name: 'Resources' }).click();
    for (const g of ['graph-cpu', 'graph-mem', 'graph-net', 'graph-blk']) {
      await expect.poll(async () => Number(await page.getByTestId(g).locator('path').first().getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(3);
    }
    // the ring kept what was sampled while the list was shown: more points than seconds on this page
    const cpuPath = page.getByTestId('graph-cpu').locator('path').first();
    expect((await cpuPath.getAttribute('d'))!.split('L').length).toBeGreaterThan(3);
    await expect(page.getByTestId('graph-cpu').locator('figcaption .v').first().textContent()).resolves.toSatisfy((t: string | null) => percent(t) > 20);
    await expect(page.getByTestId('restarts').textContent()).resolves.toBe('0');
    await expect(page.getByTestId('mem-limit').textContent()).resolves.toBe('none');
    await expect(page.getByTestId('graph-mem').getByTestId('limit-line').count()).resolves.toBe(0);
    await s.shot('stats-container');

    // a memory limit is drawn as a line
    await page.goto(`${s.url.split('#')[0]}#/containers/e2e-quiet`);
    await page.getByRole('tab', { name: 'Resources' }).click();
    await expect(page.getByTestId('mem-limit').textContent()).resolves.toBe('64MiB');
    await page.getByTestId('graph-mem').getByTestId('limit-line').waitFor({ state: 'attached' }); // a horizontal line has no height: never "visible" to Playwright
  });

  it('counts the restarts of a restart policy (docker counts those, not a user\'s restart)', async () => {
    const { page } = s;
    s.cli('run', '-d', '--name', 'e2e-flaky', '--restart', 'on-failure:5', 'localhost/busybox:latest', 'sh', '-c', 'sleep 1; exit 3');
    await page.goto(`${s.url.split('#')[0]}#/containers/e2e-flaky`);
    await page.getByRole('tab', { name: 'Resources' }).click();
    await expect.poll(async () => Number(await page.getByTestId('restarts').textContent()), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
  });

  it('shows health and the last healthcheck outputs, in the dark too', async () => {
    const { page } = s;
    s.cli('run', '-d', '--name', 'e2e-hc', '--health-cmd', 'echo probe-$((6*7)); test -f /ok', '--health-interval', '500ms', '--health-retries', '1', 'localhost/busybox:latest', 'sh', '-c', 'touch /ok; sleep 600');
    await page.goto(`${s.url.split('#')[0]}#/containers/e2e-hc`);
    await page.getByRole('tab', { name: 'Resources' }).click();
    await expect.poll(() => page.getByTestId('health').textContent(), { timeout: 15_000 }).toBe('healthy');
    await page.getByTestId('health-log').getByText('probe-42').first().waitFor();
    s.cli('exec', 'e2e-hc', 'rm', '/ok');
    await expect.poll(() => page.getByTestId('health').textContent(), { timeout: 15_000 }).toBe('unhealthy');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(1500);
    await s.shot('stats-container-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
