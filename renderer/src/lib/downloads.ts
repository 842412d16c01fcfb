/** URLs `slipway ui` serves a volume's files and tar from (main/server/volume-downloads.ts). */
function token(): string {
  return new URLSearchParams(location.search).get('token') ?? '';
}

export function volumeFileUrl(volume: string, path: string): string {
  return `/api/volumes/file?volume=${encodeURIComponent(volume)}&path=${encodeURIComponent(path)}&token=${encodeURIComponent(token())}`;
}

export function volumeExportUrl(volume: string): string {
  return `/api/volumes/export?volume=${encodeURIComponent(volume)}&token=${encodeURIComponent(token())}`;
}

/** A file picked in the browser has no path the engine can read: it is streamed into the store's tmp/ first. */
export async function uploadFile(file: File): Promise<string> {
  const res = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}&token=${encodeURIComponent(token())}`, { method: 'POST', body: file });
  if (!res.ok) throw new Error(await res.text());
  return ((await res.json()) as { path: string }).path;
}
