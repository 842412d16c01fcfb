// The Electron main process: hosts the engine, the one handler table, the IPC binding and
// native notifications. Everything else (the UI) is the renderer; everything heavy is the engine.
import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, session, shell } from 'electron';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openEngine } from '../engine/index.js';
import { createApiRuntime } from '../server/api-runtime.js';
import { EngineApiSocket } from '../server/engine-api-socket.js';
import { defaultStaticDir } from '../server/http-server.js';
import { bindIpc } from './ipc.js';
import { startDesktopNotifications } from './notify.js';
import { RegistryVault, vaultHandlers } from './registry-vault.js';
import { openFolderHandler } from './open-folder.js';
import { volumeDownloadHandler } from './volume-download.js';
import { secureWebPreferences, APP_CSP } from './window-options.js';

function repoFile(...parts: string[]): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, ...parts);
    if (existsSync(p)) return p;
    dir = resolve(dir, '..');
  }
  throw new Error(`cannot find ${parts.join('/')}`);
}

const rendererDir = defaultStaticDir(import.meta.dirname);
const indexUrl = pathToFileURL(join(rendererDir, 'index.html')).href;
const isOurPage = (url: string) => url.startsWith(pathToFileURL(rendererDir).href);

app.whenReady().then(async () => {
  const engine = openEngine();
  const api = createApiRuntime(engine, { engineApi: new EngineApiSocket(process.env.SLIPWAY_API_SOCKET || undefined, undefined, engine.store.paths.root) });
  // Registry passwords made in the app go to the OS keychain (safeStorage), not plain auth.json.
  Object.assign(api.handlers, vaultHandlers(engine, api.tasks, new RegistryVault(engine.store.paths.appRegistryLogins, safeStorage)));
  Object.assign(api.handlers, openFolderHandler(engine, shell), volumeDownloadHandler(engine, dialog, app.getPath('downloads')));

  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(permission === 'notifications'));

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Slipway',
    show: false,
    webPreferences: secureWebPreferences(repoFile('main', 'app', 'preload.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    // a published port's link opens in the user's browser, never in a window of ours
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (!isOurPage(url)) e.preventDefault();
  });

  const unbind = bindIpc(ipcMain, api.handlers, api.hub, isOurPage);
  const stopNotes = startDesktopNotifications(api.hub, Notification, {
    initial: await api.handlers['settings.get']({}),
    onClick: (id) => {
      if (win.isMinimized()) win.restore();
      win.focus();
      api.hub.publish('ui.navigate', { page: 'containers', arg: id });
    },
  });
  await win.loadURL(indexUrl);

  app.on('window-all-closed', () => {
    stopNotes();
    unbind();
    // the Engine API socket is closed (and its file removed) before the process goes
    void api.close().finally(() => {
      engine.close();
      app.quit();
    });
  });
});
