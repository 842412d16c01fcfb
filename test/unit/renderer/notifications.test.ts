import { describe, it, expect, vi, beforeAll } from 'vitest';
import { render, screen, fireEvent } from '@testing-library/svelte';
import { tick } from 'svelte';
import { setTransport } from '../../../renderer/src/lib/api.js';
import { app, startLive } from '../../../renderer/src/lib/state.svelte.js';
import Notifications from '../../../renderer/src/pages/Notifications.svelte';
import { FakeTransport } from './fake-transport.js';

const shown: { title: string; body: string }[] = [];
class FakeWebNotification {
  static permission = 'granted';
  static requestPermission = async () => 'granted';
  onclick: (() => void) | null = null;
  constructor(title: string, opts: { body: string }) {
    shown.push({ title, body: opts.body });
  }
}

let seq = 0;
const state = (p: object) => ({ seq: ++seq, time: Date.now(), id: 'c1', name: 'web', image: 'busybox', action: 'start', state: 'running', exitCode: null, byUser: false, oomKilled: false, ...p });

describe('notifications in the browser', () => {
  const t = new FakeTransport({ 'settings.set': (p) => ({ notificationsMuted: p.notificationsMuted, serveEngineApi: true }), 'settings.get': () => ({ notificationsMuted: false, serveEngineApi: true }), 'engineApi.status': () => ({ enabled: true, serving: true, dockerHost: 'unix:///run/slipway/docker.sock' }) });
  beforeAll(() => {
    vi.stubGlobal('Notification', FakeWebNotification);
    setTransport(t);
    startLive();
  });

  it('lists starts and stops, tells a crash from a user stop, and shows desktop notifications', async () => {
    render(Notifications);
    t.emit('container.state', state({}));
    t.emit('container.state', state({ action: 'die', state: 'exited', exitCode: 0, byUser: true }));
    t.emit('container.state', state({ id: 'c2', name: 'job', action: 'die', state: 'exited', exitCode: 3 }));
    await tick();
    const items = screen.getAllByTestId('notice');
    expect(items.map((i) => i.dataset.category)).toEqual(['crashed', 'stopped', 'started']);
    expect(items[0]!.textContent).toContain('job crashed');
    expect(items[0]!.textContent).toContain('exit code 3');
    expect(shown.map((s) => s.title)).toEqual(['web started', 'web stopped', 'job crashed']);
  });

  it('folds repeats into one entry with a count', async () => {
    for (let i = 0; i < 5; i++) t.emit('container.state', state({ id: 'loop', name: 'loop', action: 'die', state: 'exited', exitCode: 1 }));
    await tick();
    const loop = app.notices.filter((n) => n.containerId === 'loop');
    expect(loop.length).toBe(1);
    expect(loop[0]!.title).toBe('loop crashed (5 times)');
  });

  it('mute keeps the list but stops desktop notifications', async () => {
    render(Notifications);
    await fireEvent.click(screen.getAllByTestId('mute')[0]!);
    await vi.waitFor(() => expect(app.settings.notificationsMuted).toBe(true));
    expect(t.calls.some((c) => c.method === 'settings.set')).toBe(true);
    const before = shown.length;
    t.emit('container.state', state({ id: 'c9', name: 'silent' }));
    await tick();
    expect(app.notices[0]!.title).toBe('silent started');
    expect(shown.length).toBe(before);
  });
});
