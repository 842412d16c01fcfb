import { describe, it, expect, vi, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { tempRoot } from '../../helpers/tmp-store.js';
import { Store } from '../../../main/engine/store/store.js';

/**
 * The Electron binary cannot run here, so `electron` is the one boundary we fake: a module
 * that records what main.ts asks of it. Everything behind it (engine, handlers, poller,
 * notifier) is real.
 */
const fake = vi.hoisted(() => {
  const handlers = new Map<string, (...a: unknown[]) => unknown>();
  const listeners = new Map<string, (...a: unknown[]) => void>();
  const notifications: { title: string; body: string; shown: boolean; click?: () => void }[] = [];
  const windows: { opts: any; loaded?: string; sent: unknown[][]; focused: number }[] = [];
  let headersHook: ((d: any, cb: (r: any) => void) => void) | undefined;
  let permissionHook: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
  let ready!: () => void;
  const whenReady = new Promise<void>((r) => (ready = r));
  class BrowserWindow {
    webContents: any;
    rec: (typeof windows)[number];
    constructor(opts: any) {
      this.rec = { opts, sent: [], focused: 0 };
      windows.push(this.rec);
      const rec = this.rec;
      this.webContents = {
        id: windows.length,
        setWindowOpenHandler: () => {},
        on: () => {},
        send: (...a: unknown[]) => rec.sent.push(a),
        isDestroyed: () => false,
        once: () => {},
      };
    }
    once() {}
    isMinimized() { return false; }
    restore() {}
    focus() { this.rec.focused++; }
    async loadURL(u: string) { this.rec.loaded = u; }
  }
  class Notification {
    rec: (typeof notifications)[number];
    constructor(o: { title: string; body: string }) {
      this.rec = { ...o, shown: false };
      notifications.push(this.rec);
    }
    static isSupported() { return true; }
    on(_e: string, fn: () => void) { this.rec.click = fn; }
    show() { this.rec.shown = true; }
    close() {}
  }
  return {
    handlers, listeners, notifications, windows, ready,
    get headersHook() { return headersHook; },
    get permissionHook() { return permissionHook; },
    module: {
      app: { whenReady: () => whenReady, on: () => {}, quit: () => {}, getPath: (n: string) => `/home/test/${n}` },
      dialog: { showSaveDialog: async () => ({ canceled: true }) },
      BrowserWindow,
      Notification,
      shell: { openExternal: async () => {}, openPath: async () => '' },
      // reversible and visibly not the plain text, like the keychain-backed original
      safeStorage: {
        isEncryptionAvailable: () => true,
        encryptString: (s: string) => Buffer.from(`enc:${[...s].reverse().join('')}`),
        decryptString: (b: Buffer) => [...b.toString().replace(/^enc:/, '')].reverse().join(''),
      },
      ipcMain: {
        handle: (c: string, fn: any) => handlers.set(c, fn),
        on: (c: string, fn: any) => listeners.set(c, fn),
        removeHandler: (c: string) => handlers.delete(c),
        removeAllListeners: (c: string) => listeners.delete(c),
      },
      session: {
        defaultSession: {
          webRequest: { onHeadersReceived: (fn: any) => (headersHook = fn) },
          setPermissionRequestHandler: (fn: any) => (permissionHook = fn),
        },
      },
    },
  };
});
vi.mock('electron', () => ({ default: fake.module, ...fake.module }));

describe('Electron main process (fake electron module, real engine)', () => {
  const { root, cleanup } = tempRoot();
  let store: Store;

  beforeAll(async () => {
    process.env.SLIPWAY_ROOT = root;
    process.env.SLIPWAY_API_SOCKET = join(root, 'docker.sock');
    await import('../../../main/app/main.js');
    fake.ready();
    await vi.waitFor(() => expect(fake.windows[0]?.loaded).toBeDefined(), { timeout: 5000 });
    store = new Store(root);
  });
  afterAll(() => {
    store.close();
    cleanup();
  });

  it('opens an isolated, sandboxed window without Node, with a preload that exists', () => {
    const prefs = fake.windows[0]!.opts.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(existsSync(prefs.preload)).toBe(true);
    expect(fake.windows[0]!.loaded).toMatch(/^file:.*renderer\/dist\/index\.html$/);
  });

  it('sets a strict Content-Security-Policy and allows only the notifications permission', () => {
    let headers: any;
    fake.headersHook!({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy'][0]).toContain("script-src 'self'");
    expect(headers['Content-Security-Policy'][0]).not.toContain('unsafe-eval');
    const asked: Record<string, boolean> = {};
    for (const p of ['notifications', 'media', 'geolocation']) fake.permissionHook!({}, p, (ok) => (asked[p] = ok));
    expect(asked).toEqual({ notifications: true, media: false, geolocation: false });
  });

  it('answers IPC calls from its own page through the contract, and refuses others', async () => {
    const invoke = fake.handlers.get('slipway:invoke')!;
    const own = { sender: { id: 1 }, senderFrame: { url: fake.windows[0]!.loaded } };
    expect(await invoke(own, 'images.list', {})).toEqual({ result: [] });
    expect(await invoke(own, 'images.inspect', { ref: 42 })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await invoke(own, 'no.such', {})).toMatchObject({ error: { code: 'UNKNOWN_METHOD' } });
    const foreign = { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/' } };
    expect(await invoke(foreign, 'images.list', {})).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('shows a native notification for a container started and stopped from another process, and a click opens it', async () => {
    const wc = { id: 7, sent: [] as unknown[][], send(...a: unknown[]) { this.sent.push(a); }, isDestroyed: () => false, once: () => {} };
    fake.listeners.get('slipway:subscribe')!({ sender: wc, senderFrame: { url: fake.windows[0]!.loaded } }, 'ui.navigate');
    // another process (the CLI) writes the events table
    store.emit('container', 'start', 'c0ffee', { name: 'web', image: 'busybox' });
    store.emit('container', 'die', 'c0ffee', { name: 'web', image: 'busybox', exitCode: '137' });
    await vi.waitFor(() => expect(fake.notifications.length).toBe(2), { timeout: 3000 });
    expect(fake.notifications[0]).toMatchObject({ title: 'web started', shown: true });
    expect(fake.notifications[1]).toMatchObject({ title: 'web crashed', shown: true });
    expect(fake.notifications[1]!.body).toContain('exit code 137');
    fake.notifications[1]!.click!();
    expect(fake.windows[0]!.focused).toBe(1);
    expect(wc.sent).toContainEqual(['slipway:event', 'ui.navigate', { page: 'containers', arg: 'c0ffee' }]);
  });

  it('stays quiet when muted', async () => {
    const invoke = fake.handlers.get('slipway:invoke')!;
    const own = { sender: { id: 1 }, senderFrame: { url: fake.windows[0]!.loaded } };
    expect(await invoke(own, 'settings.set', { notificationsMuted: true })).toEqual({ result: { notificationsMuted: true, serveEngineApi: true } });
    store.emit('container', 'start', 'beef', { name: 'quiet', image: 'busybox' });
    await new Promise((r) => setTimeout(r, 700));
    expect(fake.notifications.map((n) => n.title)).not.toContain('quiet started');
  });

  it('serves the Docker Engine API on its socket while it runs, and the setting turns it off and on', async () => {
    const invoke = fake.handlers.get('slipway:invoke')!;
    const own = { sender: { id: 1 }, senderFrame: { url: fake.windows[0]!.loaded } };
    const sock = join(root, 'docker.sock');
    const ping = () => new Promise<string>((resolve, reject) => {
      request({ socketPath: sock, path: '/_ping', headers: { Host: 'docker' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      }).on('error', reject).end();
    });
    await vi.waitFor(async () => expect(await invoke(own, 'engineApi.status', {})).toEqual({ result: { enabled: true, serving: true, dockerHost: `unix://${sock}` } }), { timeout: 5000 });
    expect(await ping()).toBe('200 OK');
    expect(await invoke(own, 'settings.set', { serveEngineApi: false })).toMatchObject({ result: { serveEngineApi: false } });
    expect(await invoke(own, 'engineApi.status', {})).toEqual({ result: { enabled: false, serving: false } });
    expect(existsSync(sock)).toBe(false);
    await invoke(own, 'settings.set', { serveEngineApi: true });
    expect(await ping()).toBe('200 OK');
  });
});
