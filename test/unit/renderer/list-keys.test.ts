import { describe, it, expect, vi } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { tick } from 'svelte';
import { listKey } from '../../../renderer/src/lib/list-keys.js';
import { setTransport } from '../../../renderer/src/lib/api.js';
import { storage } from '../../../renderer/src/lib/storage.svelte.js';
import Volumes from '../../../renderer/src/pages/Volumes.svelte';
import { FakeTransport } from './fake-transport.js';

describe('list keys', () => {
  it('moves, clamps, opens and asks to delete', () => {
    expect(listKey('ArrowDown', -1, 3)).toEqual({ kind: 'move', index: 0 });
    expect(listKey('ArrowDown', 2, 3)).toEqual({ kind: 'move', index: 2 });
    expect(listKey('ArrowUp', -1, 3)).toEqual({ kind: 'move', index: 2 });
    expect(listKey('ArrowUp', 0, 3)).toEqual({ kind: 'move', index: 0 });
    expect(listKey('PageDown', 0, 30)).toEqual({ kind: 'move', index: 10 });
    expect(listKey('End', 0, 30)).toEqual({ kind: 'move', index: 29 });
    expect(listKey('Enter', 1, 3)).toEqual({ kind: 'open', index: 1 });
    expect(listKey('Enter', -1, 3)).toBeUndefined();
    expect(listKey('Delete', 1, 3)).toEqual({ kind: 'delete', index: 1 });
    expect(listKey('ArrowDown', 0, 0)).toBeUndefined();
    expect(listKey('a', 0, 3)).toBeUndefined();
    // a list that shrank under the current row
    expect(listKey('Enter', 7, 3)).toEqual({ kind: 'open', index: 2 });
  });
});

describe('the Volumes page', () => {
  vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });
  const vol = (name: string, containers: { id: string; name: string; state: string }[] = [], anonymous = false) => ({
    name, driver: 'local', created: new Date().toISOString(), mountpoint: `/v/${name}/_data`, labels: {}, anonymous, size: 2048, containers,
  });
  const t = new FakeTransport({
    'volumes.list': () => [vol('app-data', [{ id: 'c1', name: 'web', state: 'running' }]), vol('a'.repeat(64), [], true)],
    'networks.list': () => [],
    'volumes.remove': ({ name }: { name: string }) => {
      throw new Error(`volume ${name} is in use by web (running): remove that container first`);
    },
  });
  setTransport(t);

  it('lists volumes, named first, and says who uses them; Delete asks, and a refusal is shown in the dialog', async () => {
    render(Volumes);
    await vi.waitFor(() => expect(storage.volumesLoaded).toBe(true));
    await tick();
    const rows = screen.getAllByTestId('volume-row');
    expect(rows.map((r) => r.getAttribute('data-volume'))).toEqual(['app-data', 'a'.repeat(64)]);
    expect(rows[0]!.textContent).toContain('web');
    expect(rows[1]!.textContent).toContain('anonymous');
    expect(rows[1]!.textContent).toContain('aaaaaaaaaaaa'); // anonymous ones by their short name
    expect(screen.getByText('2 volumes, 4.1kB')).toBeTruthy();

    const list = screen.getByTestId('volume-list');
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(rows[0]!.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(list, { key: 'Delete' });
    await tick();
    const dialog = screen.getByRole('dialog', { hidden: true, name: 'Remove volume app-data' });
    expect(dialog.textContent).toContain('In use by web.');
    await fireEvent.submit(dialog.querySelector('form')!);
    await vi.waitFor(() => expect(dialog.textContent).toContain('volume app-data is in use by web (running): remove that container first'));
    expect(t.calls.filter((c) => c.method === 'volumes.remove')).toEqual([{ method: 'volumes.remove', params: { name: 'app-data' } }]);

    // Enter opens the current row
    await fireEvent.keyDown(list, { key: 'Enter' });
    expect(location.hash).toBe('#/volumes/app-data');
  });
});
