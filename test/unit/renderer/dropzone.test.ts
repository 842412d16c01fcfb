import { describe, it, expect, vi, beforeEach } from 'vitest';
import { render, cleanup, screen } from '@testing-library/svelte';
import { createRawSnippet, tick } from 'svelte';
import DropZone from '../../../renderer/src/components/DropZone.svelte';
import { classifyName } from '../../../renderer/src/lib/drop.js';

/** jsdom has no DataTransfer: a drop carries this minimal one, as a browser's would look to our code. */
function dataTransfer(files: File[], dirEntry?: unknown) {
  return {
    types: ['Files'],
    files,
    items: files.map((f) => ({ kind: 'file', getAsFile: () => f, webkitGetAsEntry: () => dirEntry ?? { isDirectory: false, isFile: true, name: f.name } })),
  };
}

function drop(dt: unknown) {
  const enter = new Event('dragenter', { bubbles: true, cancelable: true });
  Object.defineProperty(enter, 'dataTransfer', { value: dt });
  window.dispatchEvent(enter);
  const ev = new Event('drop', { bubbles: true, cancelable: true });
  Object.defineProperty(ev, 'dataTransfer', { value: dt });
  window.dispatchEvent(ev);
  return ev;
}

const child = createRawSnippet(() => ({ render: () => '<p>page</p>' }));

function setup(pathForFile?: (f: File) => string) {
  const onopen = vi.fn();
  const onload = vi.fn();
  const onerror = vi.fn();
  const oncompose = vi.fn();
  render(DropZone, { props: { children: child, onopen, onload, oncompose, onerror, pathForFile } });
  return { onopen, onload, oncompose, onerror };
}

describe('DropZone', () => {
  beforeEach(() => cleanup());

  it('shows an overlay while files are dragged over the window', async () => {
    setup();
    const enter = new Event('dragenter');
    Object.defineProperty(enter, 'dataTransfer', { value: { types: ['Files'] } });
    window.dispatchEvent(enter);
    await tick();
    expect(screen.getByTestId('drop-overlay')).toBeTruthy();
  });

  it('opens a dropped Dockerfile in Build with its text (browser: no path)', async () => {
    const { onopen, onerror } = setup();
    const ev = drop(dataTransfer([new File(['FROM busybox\nRUN echo hi\n'], 'Dockerfile')]));
    expect(ev.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(onopen.mock.calls[0]![0]).toMatchObject({ dockerfile: 'FROM busybox\nRUN echo hi\n', context: '', source: 'Dockerfile' });
    expect(onerror).not.toHaveBeenCalled();
  });

  it('in Electron passes the real path so the folder becomes the context', async () => {
    const { onopen } = setup(() => '/home/me/proj/Dockerfile');
    drop(dataTransfer([new File(['FROM busybox\n'], 'Dockerfile')]));
    await vi.waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(onopen.mock.calls[0]![0]).toMatchObject({ path: '/home/me/proj/Dockerfile' });
  });

  it('recognizes a Dockerfile by content even with another name', async () => {
    const { onopen } = setup();
    drop(dataTransfer([new File(['# build me\nFROM busybox\n'], 'build.txt')]));
    await vi.waitFor(() => expect(onopen).toHaveBeenCalled());
  });

  it('hands a dropped compose file to Apps: its text in a browser, its path in Electron', async () => {
    const yaml = 'services:\n  web:\n    image: busybox\n';
    const browser = setup();
    drop(dataTransfer([new File([yaml], 'docker-compose.yml')]));
    await vi.waitFor(() => expect(browser.oncompose).toHaveBeenCalled());
    expect(browser.oncompose.mock.calls[0]![0]).toEqual({ text: yaml, name: 'docker-compose.yml' });
    expect(browser.onopen).not.toHaveBeenCalled();
    cleanup();
    const electron = setup(() => '/home/me/shop/compose.yaml');
    drop(dataTransfer([new File([yaml], 'compose.yaml')]));
    await vi.waitFor(() => expect(electron.oncompose).toHaveBeenCalled());
    expect(electron.oncompose.mock.calls[0]![0]).toEqual({ path: '/home/me/shop/compose.yaml', name: 'compose.yaml' });
  });

  it('loads a dropped image archive', async () => {
    const { onload, onopen } = setup();
    const f = new File([new Uint8Array(10)], 'busybox.tar');
    drop(dataTransfer([f]));
    await vi.waitFor(() => expect(onload).toHaveBeenCalled());
    expect(onload.mock.calls[0]![0]).toMatchObject({ file: f, name: 'busybox.tar' });
    expect(onopen).not.toHaveBeenCalled();
  });

  it('reads the Dockerfile out of a dropped folder', async () => {
    const { onopen } = setup();
    const fileEntry = { isFile: true, name: 'Dockerfile', file: (ok: (f: File) => void) => ok(new File(['FROM busybox\nCOPY . /app\n'], 'Dockerfile')) };
    const dir = { isDirectory: true, isFile: false, name: 'proj', createReader: () => ({ readEntries: (ok: (e: unknown[]) => void) => ok([{ isFile: true, name: 'README' }, fileEntry]) }) };
    drop(dataTransfer([new File([''], 'proj')], dir));
    await vi.waitFor(() => expect(onopen).toHaveBeenCalled());
    expect(onopen.mock.calls[0]![0]).toMatchObject({ dockerfile: 'FROM busybox\nCOPY . /app\n', source: 'proj/Dockerfile' });
  });

  it('says what it cannot take', async () => {
    const { onerror, onopen, onload } = setup();
    drop(dataTransfer([new File(['hello'], 'notes.txt')]));
    await vi.waitFor(() => expect(onerror).toHaveBeenCalled());
    expect(onerror.mock.calls[0]![0]).toBe('notes.txt is not a Dockerfile, a compose file, a folder or an image archive (.tar)');
    expect(onopen).not.toHaveBeenCalled();
    expect(onload).not.toHaveBeenCalled();
  });

  it('ignores drags inside the page (reordering steps)', () => {
    const { onerror } = setup();
    const ev = drop({ types: ['text/x-slipway-step'], files: [], items: [] });
    expect(ev.defaultPrevented).toBe(false);
    expect(onerror).not.toHaveBeenCalled();
  });

  it('classifies names', () => {
    expect(['Dockerfile', 'Containerfile', 'app.dockerfile', 'Dockerfile.dev', 'x.tar', 'x.tar.gz', 'x.tgz', 'readme.md'].map(classifyName)).toEqual(
      ['dockerfile', 'dockerfile', 'dockerfile', 'dockerfile', 'archive', 'archive', 'archive', 'unknown'],
    );
    expect(['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.prod.yaml', 'compose.override.yml', 'values.yaml'].map(classifyName)).toEqual(
      ['compose', 'compose', 'compose', 'compose', 'compose', 'unknown'],
    );
  });
});
