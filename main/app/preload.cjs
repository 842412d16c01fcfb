// The sandboxed preload: exposes exactly the contract's two verbs (invoke, subscribe) and
// the file-path lookup a drop needs; nothing of Node or Electron leaks to the page.
// (CommonJS because sandboxed preloads cannot be ES modules.)
const { contextBridge, ipcRenderer, webUtils } = require('electron');

const listeners = new Map();
ipcRenderer.on('slipway:event', (_e, event, data) => {
  for (const fn of listeners.get(event) ?? []) fn(data);
});

contextBridge.exposeInMainWorld('slipway', {
  invoke: (method, params) => ipcRenderer.invoke('slipway:invoke', String(method), params),
  subscribe: (event, fn) => {
    const name = String(event);
    if (typeof fn !== 'function') throw new TypeError('subscribe needs a function');
    let set = listeners.get(name);
    if (!set) {
      set = new Set();
      listeners.set(name, set);
      ipcRenderer.send('slipway:subscribe', name);
    }
    set.add(fn);
    return () => set.delete(fn);
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
});
