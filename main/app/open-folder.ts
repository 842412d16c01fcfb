import { EngineError, ErrorCode, type Engine } from '../engine/index.js';
import { appFolder } from '../server/app-handlers.js';
import type { Handlers } from '../server/dispatch.js';

/** The slice of Electron's shell this uses (tests hand in a fake). */
export interface ShellLike {
  /** Electron: resolves '' on success, else the error's text */
  openPath(path: string): Promise<string>;
}

/** In the desktop app an app's folder opens in the file manager (the contract's apps.openFolder). */
export function openFolderHandler(engine: Engine, shell: ShellLike): Pick<Handlers, 'apps.openFolder'> {
  return {
    'apps.openFolder': async ({ project }) => {
      const path = await appFolder(engine, project);
      const failed = await shell.openPath(path);
      if (failed) throw new EngineError(ErrorCode.UNAVAILABLE, `could not open ${path}: ${failed}; open it from a file manager or a terminal`);
      return { path, opened: true };
    },
  };
}
