import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FrameReader } from '../../../main/api/streams/stdcopy.js';
import { api, docker, startService, type Service } from './harness.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'api', 'docker-20.10-run-create.json');

/** A raw HTTP/1.1 exchange on the socket: what was written back until the server closed. */
function raw(svc: Service, request: string | Buffer): { all: Promise<Buffer>; head: Promise<void> } {
  let headSeen!: () => void;
  const head = new Promise<void>((r) => (headSeen = r));
  const all = new Promise<Buffer>((resolve, reject) => {
    const s = connect(svc.sock);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) headSeen();
    });
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.write(request);
  });
  return { all, head };
}

function splitResponse(b: Buffer): { head: string; body: Buffer } {
  const i = b.indexOf('\r\n\r\n');
  return { head: b.subarray(0, i).toString(), body: b.subarray(i + 4) };
}

describe('Engine API requests: docker\'s codes for bad input, streams and hijacked connections', () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('creates a container from the exact body the docker 20.10 CLI sends', async () => {
    const body = readFileSync(FIXTURE, 'utf8');
    const r = await api(svc, 'POST', '/v1.41/containers/create?name=from-fixture', { body });
    expect(r.status).toBe(201);
    const { Id } = r.json() as { Id: string };
    expect(Id).toMatch(/^[0-9a-f]{64}$/);
    const again = await api(svc, 'POST', '/v1.41/containers/create?name=from-fixture', { body });
    expect(again.status).toBe(409);
    expect((again.json() as { message: string }).message).toMatch(/Conflict\. The container name "\/from-fixture" is already in use/);
    expect((await api(svc, 'DELETE', `/containers/${Id}`)).status).toBe(204);
  });

  it('answers bad JSON, a wrong content type, an empty or unsupported spec with 400 and a message', async () => {
    const bad = await api(svc, 'POST', '/containers/create', { body: '{"Image": "busybox",' });
    expect(bad.status).toBe(400);
    expect((bad.json() as { message: string }).message).toMatch(/invalid JSON/);
    const ct = await api(svc, 'POST', '/containers/create', { body: '{"Image":"busybox"}', headers: { 'Content-Type': 'text/plain' } });
    expect(ct.status).toBe(400);
    expect((ct.json() as { message: string }).message).toBe("Content-Type specified (text/plain) must be 'application/json'");
    const empty = await api(svc, 'POST', '/containers/create', { body: '{}' });
    expect(empty.status).toBe(400);
    const unsupported = await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', HostConfig: { OomScoreAdj: 500, Tmpfs: { '/run': 'size=1m' } } }) });
    expect(unsupported.status).toBe(400);
    expect((unsupported.json() as { message: string }).message).toMatch(/HostConfig\.\w+ is not supported by Slipway yet/);
  });

  it('refuses a JSON body over the limit with 413 and keeps serving', async () => {
    const huge = `{"Image":"busybox","Labels":{"x":"${'a'.repeat(9 * 1024 * 1024)}"}}`;
    const r = await api(svc, 'POST', '/containers/create', { body: huge });
    expect(r.status).toBe(413);
    expect((await api(svc, 'GET', '/_ping')).status).toBe(200);
  });

  it('names what is missing (404) and refuses filters docker does not know (400)', async () => {
    const nf = await api(svc, 'GET', '/containers/nonesuch/json');
    expect(nf.status).toBe(404);
    expect(nf.json()).toEqual({ message: 'No such container: nonesuch' });
    const img = await api(svc, 'GET', '/images/nonesuch:1/json');
    expect(img.status).toBe(404);
    expect((img.json() as { message: string }).message).toMatch(/No such image: nonesuch:1/);
    const filt = await api(svc, 'GET', `/containers/json?filters=${encodeURIComponent('{"colour":["red"]}')}`);
    expect(filt.status).toBe(400);
    expect(filt.json()).toEqual({ message: "invalid filter 'colour'" });
    const badStatus = await api(svc, 'GET', `/containers/json?filters=${encodeURIComponent('{"status":["sleepy"]}')}`);
    expect(badStatus.status).toBe(400);
    const notJson = await api(svc, 'GET', '/containers/json?filters=nope');
    expect(notJson.status).toBe(400);
  });

  it('attach with Upgrade: tcp answers 101 and frames stdout and stderr with 8-byte headers', async () => {
    const id = ((await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2'] }) })).json() as { Id: string }).Id;
    const got = raw(svc, `POST /v1.41/containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    await got.head; // attached: now start it, as docker's client does
    expect((await api(svc, 'POST', `/containers/${id}/start`)).status).toBe(204);
    const { head, body } = splitResponse(await got.all);
    expect(head).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    expect(head).toMatch(/Content-Type: application\/vnd\.docker\.raw-stream/);
    expect(head).toMatch(/Upgrade: tcp/);
    const frames = new FrameReader().push(body);
    const by = (s: number) => Buffer.concat(frames.filter((f) => f.stream === s).map((f) => f.data)).toString();
    expect(by(1)).toBe('to-out\n');
    expect(by(2)).toBe('to-err\n');
    const w = await api(svc, 'POST', `/containers/${id}/wait`);
    expect(w.json()).toEqual({ Error: null, StatusCode: 0 });
    await api(svc, 'DELETE', `/containers/${id}`);
  });

  it('attach without an upgrade (the old form) answers 200 and the raw stream, unchunked; a TTY container is not framed', async () => {
    const id = ((await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Tty: true, Cmd: ['echo', 'tty-out'] }) })).json() as { Id: string }).Id;
    const got = raw(svc, `POST /containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
    await got.head;
    await api(svc, 'POST', `/containers/${id}/start`);
    const { head, body } = splitResponse(await got.all);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).not.toMatch(/Transfer-Encoding: chunked/i);
    expect(body.toString()).toBe('tty-out\r\n');
    await api(svc, 'DELETE', `/containers/${id}?force=1`);
  });

  it('exec start over an upgraded connection carries stdin in and the framed output back', async () => {
    const id = ((await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '60'] }) })).json() as { Id: string }).Id;
    await api(svc, 'POST', `/containers/${id}/start`);
    const ex = (await api(svc, 'POST', `/containers/${id}/exec`, { body: JSON.stringify({ AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: ['sh', '-c', 'read x; echo got-$x; echo e >&2; exit 4'] }) })).json() as { Id: string };
    const body = '{"Detach":false,"Tty":false}';
    const s = connect(svc.sock);
    const chunks: Buffer[] = [];
    const done = new Promise<void>((r) => s.on('end', () => r()));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.write(`POST /v1.41/exec/${ex.Id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    s.write('hello\n');
    s.end(); // half-close: stdin EOF, as docker's client does
    await done;
    const { head, body: out } = splitResponse(Buffer.concat(chunks));
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    const frames = new FrameReader().push(out);
    expect(Buffer.concat(frames.filter((f) => f.stream === 1).map((f) => f.data)).toString()).toBe('got-hello\n');
    expect(Buffer.concat(frames.filter((f) => f.stream === 2).map((f) => f.data)).toString()).toBe('e\n');
    const info = (await api(svc, 'GET', `/exec/${ex.Id}/json`)).json() as { ExitCode: number; Running: boolean };
    expect(info).toMatchObject({ ExitCode: 4, Running: false });
    await api(svc, 'DELETE', `/containers/${id}?force=1`);
  });

  it('the websocket attach form carries the output as messages', async () => {
    const id = ((await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.5; echo over-ws'] }) })).json() as { Id: string }).Id;
    const ws = new WebSocket(`ws+unix://${svc.sock}:/v1.41/containers/${id}/attach/ws?stream=1&stdout=1`);
    const text = new Promise<string>((resolve, reject) => {
      let t = '';
      ws.on('message', (m: Buffer) => (t += m.toString()));
      ws.on('close', () => resolve(t));
      ws.on('error', reject);
    });
    await new Promise((r) => ws.once('open', r));
    await api(svc, 'POST', `/containers/${id}/start`);
    expect(await text).toBe('over-ws\n');
    await api(svc, 'DELETE', `/containers/${id}?force=1`);
  });

  it('a client that leaves a followed log mid-stream stops its follower; a stalled reader holds up no one else', async () => {
    const id = ((await api(svc, 'POST', '/containers/create', { body: JSON.stringify({ Image: 'busybox', Cmd: ['sh', '-c', 'while true; do echo spam-spam-spam-spam-spam-spam; done'] }) })).json() as { Id: string }).Id;
    await api(svc, 'POST', `/containers/${id}/start`);
    const log = join(svc.root, 'containers', id, 'ctr.log');
    const openLogs = () => readdirSync(`/proc/${svc.proc.pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${svc.proc.pid}/fd/${fd}`) === log;
      } catch {
        return false;
      }
    }).length;
    // A reader that never reads: its socket buffers fill and the server waits for it alone.
    const stalled = connect(svc.sock);
    stalled.pause();
    stalled.write(`GET /containers/${id}/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n`);
    // One that reads 256 KiB and hangs up.
    await new Promise<void>((resolve) => {
      const s = connect(svc.sock);
      let n = 0;
      s.on('data', (c: Buffer) => {
        n += c.length;
        if (n > 256 * 1024) {
          s.destroy();
          resolve();
        }
      });
      s.write(`GET /containers/${id}/logs?follow=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n`);
    });
    // Others are served meanwhile.
    for (let i = 0; i < 5; i++) {
      expect((await api(svc, 'GET', '/_ping')).status).toBe(200);
      expect((await api(svc, 'GET', `/containers/${id}/json`)).status).toBe(200);
    }
    // The follower of the client that left has closed its log; the stalled one's is open.
    for (let i = 0; i < 100 && openLogs() > 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(openLogs()).toBe(1);
    stalled.destroy();
    for (let i = 0; i < 100 && openLogs() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(openLogs()).toBe(0);
    await api(svc, 'DELETE', `/containers/${id}?force=1`);
    expect(docker(svc, ['ps', '-aq']).stdout.trim()).toBe('');
  });
});
