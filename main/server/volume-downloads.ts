import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errorMessage, exportVolume, isEngineError, ErrorCode, openVolumeFile, type Engine } from '../engine/index.js';

/** Content-Disposition for any name: an ASCII fallback plus RFC 5987's UTF-8 form. */
function attachment(name: string): string {
  return `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function fail(res: ServerResponse, e: unknown): void {
  const status = isEngineError(e, ErrorCode.NOT_FOUND) ? 404 : isEngineError(e, ErrorCode.INVALID) ? 400 : 500;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ message: errorMessage(e) }));
}

/**
 * GET /api/volumes/file?volume=V&path=P (one file) and /api/volumes/export?volume=V (the volume
 * as a tar): what a browser downloads from the volume's page. Read through the volume's scope.
 */
export async function serveVolumeDownload(engine: Engine, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const volume = url.searchParams.get('volume') ?? '';
  try {
    if (url.pathname === '/api/volumes/file') {
      const f = openVolumeFile(engine, volume, url.searchParams.get('path') ?? '');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(f.size), 'content-disposition': attachment(f.name), 'x-content-type-options': 'nosniff' });
      if (req.method === 'HEAD') return void (f.stream.destroy(), res.end());
      await pipeline(f.stream, res);
      return;
    }
    const tar = exportVolume(engine, volume);
    res.writeHead(200, { 'content-type': 'application/x-tar', 'content-disposition': attachment(`${volume}.tar`) });
    if (req.method === 'HEAD') return void (tar.destroy(), res.end());
    await pipeline(tar, res);
  } catch (e) {
    fail(res, e);
  }
}
