import type { ContainerSummary, EngineApiStatus, ImageSummary, Settings } from '../../../shared/api.js';
import { Notifier, type Notice } from '../../../shared/notifications.js';
import { call, on, inElectron, ApiError, transport } from './api.js';
import { go } from './router.svelte.js';
import type { Composition } from './dockerfile.js';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

/** Everything pages share: the live lists, notices, settings, toasts, and a Dockerfile handed to Build by a drop. */
export const app = $state({
  connected: true,
  images: [] as ImageSummary[],
  imagesLoaded: false,
  imagesError: '',
  containers: [] as ContainerSummary[],
  containersLoaded: false,
  containersError: '',
  notices: [] as Notice[],
  unread: 0,
  settings: { notificationsMuted: false, serveEngineApi: true } as Settings,
  engineApi: { enabled: false, serving: false } as EngineApiStatus,
  toasts: [] as Toast[],
  pendingBuild: undefined as { dockerfile: string; context: string; source: string } | undefined,
  /** a compose file dropped on the window, for the Apps page to read and bring up */
  pendingCompose: undefined as { path?: string; text?: string; name: string } | undefined,
  /** bumped on every engine event so detail pages can refresh what they show */
  tick: 0,
});

let toastId = 1;
export function toast(text: string, kind: Toast['kind'] = 'info', ms = 5000): void {
  const t = { id: toastId++, kind, text };
  app.toasts = [...app.toasts, t].slice(-5);
  setTimeout(() => (app.toasts = app.toasts.filter((x) => x.id !== t.id)), ms);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

export async function refreshImages(): Promise<void> {
  try {
    app.images = await call('images.list', {});
    app.imagesError = '';
  } catch (e) {
    app.imagesError = errorText(e);
  } finally {
    app.imagesLoaded = true;
  }
}

export async function refreshContainers(): Promise<void> {
  try {
    app.containers = await call('containers.list', { all: true });
    app.containersError = '';
  } catch (e) {
    app.containersError = errorText(e);
  } finally {
    app.containersLoaded = true;
  }
}

const notifier = new Notifier();

function showDesktop(n: Notice): void {
  // In Electron the main process shows the native notification (main/app/notify.ts).
  if (inElectron() || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const d = new Notification(n.title, { body: n.body, tag: n.key });
  d.onclick = () => {
    window.focus();
    go('containers', n.containerId);
  };
}

/** Serve the Docker Engine API (or stop): the answer comes back as an engineApi.changed event too. */
export async function setServeEngineApi(on: boolean): Promise<void> {
  app.settings = await call('settings.set', { serveEngineApi: on });
  app.engineApi = await call('engineApi.status', {});
}

export async function setMuted(muted: boolean): Promise<void> {
  app.settings = await call('settings.set', { notificationsMuted: muted });
  notifier.muted = muted;
  if (!muted && !inElectron() && typeof Notification !== 'undefined' && Notification.permission === 'default') {
    await Notification.requestPermission().catch(() => 'denied');
  }
}

let started = false;
/** Subscribe once to the engine's events and keep the lists live. */
export function startLive(): void {
  if (started) return;
  started = true;
  const t = transport() as { onStatus?: (c: boolean) => void };
  if ('onStatus' in t) t.onStatus = (c) => {
    app.connected = c;
    if (c) {
      void refreshImages();
      void refreshContainers();
    }
  };
  let pending: ReturnType<typeof setTimeout> | undefined;
  const kinds = new Set<string>();
  on('engine.event', (ev) => {
    kinds.add(ev.type);
    app.tick++;
    // Coalesce bursts (a build emits many events) into one refresh.
    pending ??= setTimeout(() => {
      pending = undefined;
      if (kinds.has('container') || kinds.has('image')) void refreshContainers();
      if (kinds.has('image') || kinds.has('container')) void refreshImages();
      kinds.clear();
    }, 100);
  });
  on('container.state', (ev) => {
    const d = notifier.consider(ev);
    if (!d) return;
    if (d.isUpdate) app.notices = app.notices.map((n) => (n.key === d.notice.key && n.count === d.notice.count - 1 ? d.notice : n));
    else app.notices = [d.notice, ...app.notices].slice(0, 200);
    app.unread++;
    if (d.desktop) showDesktop(d.notice);
  });
  on('settings.changed', (s) => {
    app.settings = s;
    notifier.muted = s.notificationsMuted;
  });
  on('engineApi.changed', (st) => (app.engineApi = st));
  on('ui.navigate', (n) => go(n.page, n.arg));
  void call('engineApi.status', {}).then((st) => (app.engineApi = st)).catch(() => {});
  void call('settings.get', {}).then((s) => {
    app.settings = s;
    notifier.muted = s.notificationsMuted;
  }).catch(() => {});
  void refreshImages();
  void refreshContainers();
}

export function openInBuild(c: { dockerfile: string; context: string; source: string }): void {
  app.pendingBuild = c;
  go('build');
}

export function openCompose(c: { path?: string; text?: string; name: string }): void {
  app.pendingCompose = c;
  go('apps');
}

export type { Composition };
