import { createWriteStream } from 'node:fs';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exportVolume, openVolumeFile, type Engine } from '../engine/index.js';
import type { Handlers } from '../server/dispatch.js';

/** The slice of Electron's dialog this uses (tests hand in a fake). */
export interface SaveDialogLike {
  showSaveDialog(opts: { defaultPath: string; title: string }): Promise<{ canceled: boolean; filePath?: string }>;
}

/**
 * In the desktop app there is no HTTP server for the page's download links (`slipway ui` has
 * one): a volume's file, or the volume as a tar, is saved through the OS's save dialog instead.
 * The engine reads the file inside the volume (never following a link out of it).
 */
export function volumeDownloadHandler(engine: Engine, dialog: SaveDialogLike, downloadsDir: string): Pick<Handlers, 'volumes.download'> {
  return {
    'volumes.download': async ({ name, path }) => {
      engine.volumes.get(name); // an unknown volume fails now, before any dialog
      const file = path ? openVolumeFile(engine, name, path) : undefined; // and so does a path that is not a file in it
      const suggested = file ? file.name : `${name}.tar`;
      const r = await dialog.showSaveDialog({ defaultPath: join(downloadsDir, suggested), title: path ? `Save ${posix.basename(path)} from volume ${name}` : `Export volume ${name} as a tar` });
      if (r.canceled || !r.filePath) {
        file?.stream.destroy();
        return { saved: null };
      }
      await pipeline(file ? file.stream : exportVolume(engine, name), createWriteStream(r.filePath, { mode: 0o644 }));
      return { saved: r.filePath };
    },
  };
}
