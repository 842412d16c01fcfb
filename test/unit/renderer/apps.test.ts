import { describe, it, expect, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { tick } from 'svelte';
import { setTransport } from '../../../renderer/src/lib/api.js';
import { apps, serviceColour } from '../../../renderer/src/lib/apps.svelte.js';
import Apps from '../../../renderer/src/pages/Apps.svelte';
import type { AppSummary } from '../../../shared/api.js';
import { FakeTransport } from './fake-transport.js';

const ctr = (name: string, service: string, state = 'running', health?: string) => ({
  id: `${name}-id`, name, service, number: 1, oneoff: false, state, status: state === 'running' ? 'Up 2 minutes' : 'Exited (0) 1 minute ago', ports: [], created: '2026-12-03T10:00:00Z', ...(health ? { health } : {}),
});
const app = (project: string, over: Partial<AppSummary>): AppSummary => ({
  project, services: [], total: 2, running: 2, unhealthy: 0, summary: '2/2 running', state: 'running', ports: [], published: [],
  volumes: [], networks: [`${project}_default`], workingDir: `/srv/${project}`, configFiles: [`/srv/${project}/compose.yaml`], created: '2026-12-03T10:00:00Z', ...over,
});

describe('the Apps page', () => {
  vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });
  let list: AppSummary[] = [
    app('shop', {
      services: [{ name: 'web', image: 'busybox', containers: [ctr('shop_web_1', 'web')] }, { name: 'worker', image: 'busybox', containers: [ctr('shop_worker_1', 'worker', 'running', 'unhealthy')] }],
      unhealthy: 1, summary: '2/2 running, 1 unhealthy', volumes: ['shop_data'], published: [{ url: 'http://127.0.0.1:8080', label: '127.0.0.1:8080→80/tcp' }],
    }),
    app('blog', { services: [{ name: 'db', image: 'busybox', containers: [ctr('blog_db_1', 'db', 'exited')] }], total: 1, running: 0, summary: '0/1 running', state: 'stopped' }),
  ];
  const t = new FakeTransport({
    'apps.list': () => list,
    'apps.action': ({ project }: { project: string }) => ({ project, containers: [{ id: 'x', name: 'shop_web_1' }, { id: 'y', name: 'shop_worker_1' }], networks: [{ name: 'shop_default' }], volumes: [{ name: 'shop_data' }] }),
  });
  setTransport(t);

  it('shows one row per app with its services, summary and ports; → shows its containers, ← goes back; Delete asks, offering the volumes', async () => {
    render(Apps);
    await vi.waitFor(() => expect(apps.loaded).toBe(true));
    await tick();
    const rows = () => screen.getAllByTestId('app-row');
    expect(rows().map((r) => [r.getAttribute('data-app'), r.querySelector('[data-testid="app-summary"]')!.textContent])).toEqual([['shop', '2/2 running, 1 unhealthy'], ['blog', '0/1 running']]);
    expect(rows()[0]!.textContent).toContain('web, worker');
    expect(rows()[0]!.querySelector('a[href="http://127.0.0.1:8080"]')).toBeTruthy();
    expect(rows()[0]!.querySelector('[data-testid="app-summary"]')!.className).toContain('crashed'); // unhealthy reads as trouble
    expect(rows()[1]!.textContent).toContain('Start');
    expect(rows()[1]!.textContent).not.toContain('Stop');

    const grid = screen.getByTestId('apps-list');
    await fireEvent.keyDown(grid, { key: 'ArrowDown' });
    await fireEvent.keyDown(grid, { key: 'ArrowRight' });
    const kids = screen.getAllByTestId('app-container-row');
    expect(kids.map((k) => k.getAttribute('data-container'))).toEqual(['shop_web_1', 'shop_worker_1']);
    expect(kids[0]!.querySelector('a')!.getAttribute('href')).toBe('#/containers/shop_web_1-id');
    await fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(kids[0]!.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid, { key: 'Enter' });
    expect(location.hash).toBe('#/containers/shop_web_1-id');
    await fireEvent.keyDown(grid, { key: 'ArrowLeft' });
    expect(rows()[0]!.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(grid, { key: 'ArrowLeft' });
    expect(screen.queryAllByTestId('app-container-row')).toEqual([]);

    await fireEvent.keyDown(grid, { key: 'Delete' });
    await tick();
    const dialog = screen.getByRole('dialog', { hidden: true, name: 'Remove app shop' });
    expect(dialog.textContent).toContain('its 2 containers are stopped and removed, and its network shop_default');
    await fireEvent.click(dialog.querySelector('[data-testid="remove-volumes"]')!);
    expect(dialog.textContent).toContain('Their data is deleted');
    await fireEvent.submit(dialog.querySelector('form')!);
    await vi.waitFor(() => expect(t.calls.filter((c) => c.method === 'apps.action')).toEqual([{ method: 'apps.action', params: { project: 'shop', action: 'remove', volumes: true } }]));

    await fireEvent.keyDown(grid, { key: 'Enter' });
    expect(location.hash).toBe('#/apps/shop');
  });

  it('follows the engine’s events without a reload, and says how to bring an app up when there is none', async () => {
    const before = t.calls.filter((c) => c.method === 'apps.list').length;
    list = [];
    t.emit('engine.event', { seq: 1, time: 0, type: 'container', action: 'destroy', actorId: 'x', attributes: {} });
    t.emit('engine.event', { seq: 2, time: 0, type: 'network', action: 'destroy', actorId: 'y', attributes: {} });
    await vi.waitFor(() => expect(apps.list).toEqual([]));
    expect(t.calls.filter((c) => c.method === 'apps.list').length).toBe(before + 1); // one refresh for the burst
    await tick();
    // the page rendered above follows: its rows are gone, the empty state says what to do
    expect(screen.queryAllByTestId('app-row')).toEqual([]);
    expect(screen.getByTestId('apps-empty').textContent).toContain('docker-compose up');
  });

  it('gives each service its own colour, the same for the same place', () => {
    expect(serviceColour(['web', 'worker'], 'worker')).toBe('var(--svc-1)');
    expect(serviceColour(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'g')).toBe('var(--svc-0)');
  });
});
