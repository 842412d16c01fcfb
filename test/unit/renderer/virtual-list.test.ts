import { describe, it, expect, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { setTransport } from '../../../renderer/src/lib/api.js';
import { app } from '../../../renderer/src/lib/state.svelte.js';
import Images from '../../../renderer/src/pages/Images.svelte';
import Containers from '../../../renderer/src/pages/Containers.svelte';
import { FakeTransport } from './fake-transport.js';

describe('long lists stay small in the DOM', () => {
  setTransport(new FakeTransport());
  // jsdom has no layout: the list keeps its default 600 px viewport
  vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });

  it('1,000 images render only the rows in view', async () => {
    app.imagesLoaded = true;
    app.images = Array.from({ length: 1000 }, (_, i) => ({
      id: `sha256:${i.toString(16).padStart(64, '0')}`, tags: [`docker.io/library/app${i}:latest`], created: new Date(Date.now() - i * 60_000).toISOString(),
      size: 1000 * i, layers: 1, containers: 0, addedAt: i, origin: 'build',
    }));
    render(Images);
    await tick();
    const rows = screen.getAllByTestId('image-row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByText('1000 images, 500MB')).toBeTruthy();
  });

  it('1,000 containers likewise', async () => {
    app.containersLoaded = true;
    app.containers = Array.from({ length: 1000 }, (_, i) => ({
      id: i.toString(16).padStart(64, '0'), name: `c${i}`, image: 'busybox', imageId: 'sha256:x', command: 'sleep 1', created: new Date().toISOString(),
      state: i % 2 ? 'running' : 'exited', exitCode: i % 3, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), stoppedByUser: false, oomKilled: false, ports: '',
    }));
    render(Containers);
    await tick();
    expect(screen.getAllByTestId('container-row').length).toBeLessThan(60);
    expect(screen.getByText('500 running of 1000')).toBeTruthy();
  });
});
