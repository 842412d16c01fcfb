/**
 * What a file dropped on the window is: an image archive to load, a Dockerfile to open in
 * Build, a compose file to bring up from Apps, a folder (that should hold a Dockerfile), or
 * something we do not take.
 */
export type DropKind = 'archive' | 'dockerfile' | 'compose' | 'folder' | 'unknown';

export function classifyName(name: string): DropKind {
  const n = name.toLowerCase();
  // compose.yaml, docker-compose.yml, compose.override.yaml, docker-compose.prod.yml ...
  if (/^(docker-)?compose(\.[\w-]+)*\.ya?ml$/.test(n)) return 'compose';
  if (/\.(tar|tar\.gz|tgz|tar\.zst|oci)$/.test(n)) return 'archive';
  if (/(^|[./-])(dockerfile|containerfile)([.-]|$)/.test(n) || n.endsWith('.dockerfile')) return 'dockerfile';
  return 'unknown';
}

/** The first item of a drop, with folder detection through the entries API where it exists. */
export function firstDropped(dt: DataTransfer): { file: File | undefined; isFolder: boolean; entry: FileSystemEntry | null } {
  const item = dt.items && dt.items.length > 0 ? dt.items[0] : undefined;
  const entry = item && typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
  const file = dt.files && dt.files.length > 0 ? dt.files[0] : item?.getAsFile() ?? undefined;
  return { file, isFolder: Boolean(entry?.isDirectory), entry };
}

/** Read the Dockerfile out of a dropped folder (browser: the entries API; no path is known). */
export function readDockerfileFromFolder(entry: FileSystemDirectoryEntry): Promise<string | undefined> {
  return new Promise((resolve) => {
    entry.createReader().readEntries((entries) => {
      const f = entries.find((e) => e.isFile && /^(dockerfile|containerfile)$/i.test(e.name)) as FileSystemFileEntry | undefined;
      if (!f) return resolve(undefined);
      f.file((file) => void fileText(file).then(resolve, () => resolve(undefined)), () => resolve(undefined));
    }, () => resolve(undefined));
  });
}

/** Blob.text() where it exists, FileReader elsewhere (older engines, jsdom). */
export function fileText(f: Blob): Promise<string> {
  if (typeof f.text === 'function') return f.text();
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('cannot read the file'));
    r.readAsText(f);
  });
}
