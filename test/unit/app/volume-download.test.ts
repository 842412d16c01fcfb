import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { volumeDownloadHandler, type SaveDialogLike } from '../../../main/app/volume-download.js';
import { tempEngine, tempRoot } from '../../helpers/tmp-store.js';

// The desktop app's volume downloads: a save dialog (a fake here, as Electron's), then the
// file or the tar written where the user chose.
describe('volumes.download in the desktop app', () => {
  const { engine, cleanup } = tempEngine();
  const out = tempRoot('slipway-downloads-');
  afterAll(() => {
    cleanup();
    out.cleanup();
  });
  const v = engine.volumes.create({ Name: 'site' });
  mkdirSync(join(v.Mountpoint, 'www'));
  writeFileSync(join(v.Mountpoint, 'www', 'index.html'), '<h1>hello</h1>\n');
  symlinkSync('/etc/passwd', join(v.Mountpoint, 'leak'));

  const asked: { defaultPath: string; title: string }[] = [];
  const dialog = (answer: string | null): SaveDialogLike => ({
    showSaveDialog: async (o) => (asked.push(o), answer === null ? { canceled: true } : { canceled: false, filePath: answer }),
  });

  it('saves one file where the user chose, suggesting its name in Downloads', async () => {
    const to = join(out.root, 'page.html');
    const h = volumeDownloadHandler(engine, dialog(to), '/home/me/Downloads');
    await expect(h['volumes.download']({ name: 'site', path: '/www/index.html' })).resolves.toEqual({ saved: to });
    expect(readFileSync(to, 'utf8')).toBe('<h1>hello</h1>\n');
    expect(asked.at(-1)).toEqual({ defaultPath: '/home/me/Downloads/index.html', title: 'Save index.html from volume site' });
  });

  it('exports the whole volume as a tar', async () => {
    const to = join(out.root, 'site.tar');
    const h = volumeDownloadHandler(engine, dialog(to), '/home/me/Downloads');
    await expect(h['volumes.download']({ name: 'site' })).resolves.toEqual({ saved: to });
    expect(asked.at(-1)!.defaultPath).toBe('/home/me/Downloads/site.tar');
    const names = execFileSync('tar', ['-tf', to], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['./www/index.html', './leak']));
  });

  it('a cancelled dialog saves nothing; a link out of the volume or a missing volume is refused before any dialog', async () => {
    const h = volumeDownloadHandler(engine, dialog(null), '/d');
    await expect(h['volumes.download']({ name: 'site', path: '/www/index.html' })).resolves.toEqual({ saved: null });
    const before = asked.length;
    await expect(h['volumes.download']({ name: 'site', path: '/leak' })).rejects.toThrow();
    await expect(h['volumes.download']({ name: 'nope' })).rejects.toThrow(/No such volume|nope/);
    expect(asked.length).toBe(before);
  });
});
