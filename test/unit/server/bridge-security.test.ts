import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import WebSocket from 'ws';
import { tempEngine } from '../../helpers/tmp-store.js';
import { createApiRuntime, type ApiRuntime } from '../../../main/server/api-runtime.js';
import { startUiServer, type UiServer } from '../../../main/server/http-server.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Open a socket; resolves 'open' or the HTTP status the server refused it with. */
function connect(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; refused?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode }));
    ws.once('error', () => resolve({ refused: -1 }));
  });
}

function callOver(ws: WebSocket, method: string, params: unknown): Promise<any> {
  const id = Math.floor(Math.random() * 1e9);
  return new Promise((resolve) => {
    const onMsg = (raw: WebSocket.RawData) => {
      const f = JSON.parse(raw.toString());
      if (f.kind === 'reply' && f.id === id) {
        ws.off('message', onMsg);
        resolve(f.reply);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ kind: 'call', id, method, params }));
  });
}

describe('web bridge security', () => {
  let env: ReturnType<typeof tempEngine>;
  let api: ApiRuntime;
  let server: UiServer;
  let staticDir: string;
  let base: string;

  beforeAll(async () => {
    env = tempEngine();
    api = createApiRuntime(env.engine);
    staticDir = mkdtempSync(join(tmpdir(), 'slipway-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Slipway</title>');
    server = await startUiServer(api, { staticDir });
    base = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    api.close();
    env.cleanup();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('prints a loopback URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('serves the page only with the right token, with a CSP', async () => {
    expect((await get(server.port, '/')).status).toBe(403);
    expect((await get(server.port, '/?token=wrong')).status).toBe(403);
    // one character off (a different last hex digit, whatever the token ends with)
    const offByOne = `${server.token.slice(0, -1)}${server.token.endsWith('0') ? '1' : '0'}`;
    expect((await get(server.port, `/?token=${offByOne}`)).status).toBe(403);
    const ok = await get(server.port, `/?token=${server.token}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>Slipway</title>');
    expect(String(ok.headers['content-security-policy'])).toContain("default-src 'self'");
    // the token cookie lets a reload work without the query
    expect(String(ok.headers['set-cookie'])).toContain('SameSite=Strict');
    expect((await get(server.port, '/', { cookie: `slipway_token=${server.token}` })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await get(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` });
    expect(r.status).toBe(403);
    expect(r.body).toContain('Host');
  });

  it('refuses paths outside the renderer', async () => {
    const secret = `${staticDir}-secret.txt`;
    writeFileSync(secret, 'top secret');
    const name = secret.split('/').pop()!;
    for (const path of [`/..%2f${name}`, `/../${name}`, `/%2e%2e/${name}`]) {
      const r = await get(server.port, `${path}?token=${server.token}`);
      expect([403, 404]).toContain(r.status);
      expect(r.body).not.toContain('top secret');
    }
    rmSync(secret);
  });

  it('refuses WebSockets without the token, with a wrong one, or from a foreign Origin', async () => {
    expect((await connect(`ws://${base}/api`)).refused).toBe(403);
    expect((await connect(`ws://${base}/api?token=nope`)).refused).toBe(403);
    expect((await connect(`ws://${base}/api?token=${server.token}`, { origin: 'http://evil.example' })).refused).toBe(403);
    expect((await connect(`ws://${base}/api?token=${server.token}`, { origin: `http://localhost:${server.port + 1}` })).refused).toBe(403);
    const ok = await connect(`ws://${base}/api?token=${server.token}`, { origin: `http://${base}` });
    expect(ok.ws).toBeDefined();
    const reply = await callOver(ok.ws!, 'images.list', {});
    expect(reply).toEqual({ result: [] });
    ok.ws!.close();
  });

  it('rejects calls that fail the schema, unknown methods and bad frames', async () => {
    const { ws } = await connect(`ws://${base}/api?token=${server.token}`);
    const bad = await callOver(ws!, 'images.inspect', { ref: '' });
    expect(bad.error.code).toBe('INVALID_ARGUMENT');
    expect(bad.error.message).toContain('ref');
    const extra = await callOver(ws!, 'images.list', { sneaky: true });
    expect(extra.error.code).toBe('INVALID_ARGUMENT');
    const wrongType = await callOver(ws!, 'containers.remove', { ids: 'abc' });
    expect(wrongType.error.code).toBe('INVALID_ARGUMENT');
    const unknown = await callOver(ws!, 'engine.rmrf', {});
    expect(unknown.error.code).toBe('UNKNOWN_METHOD');
    const notFound = await callOver(ws!, 'images.inspect', { ref: 'nosuch:image' });
    expect(notFound.error).toEqual({ code: 'NOT_FOUND', message: 'No such image: nosuch:image' });
    const frame = await new Promise<any>((resolve) => {
      ws!.once('message', (raw) => resolve(JSON.parse(raw.toString())));
      ws!.send('{"kind":"call","id":"x"}');
    });
    expect(frame.reply.error.code).toBe('INVALID_ARGUMENT');
    ws!.close();
  });

  it('will not listen on a non-loopback address unless asked', async () => {
    await expect(startUiServer(api, { address: '0.0.0.0', staticDir })).rejects.toThrow(/--host/);
    const open = await startUiServer(api, { address: '0.0.0.0', allowRemote: true, staticDir });
    expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    await open.close();
  });
});
