import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { PYTHON, startService, tarOf, type Service } from './harness.js';

const collect = (s: NodeJS.ReadableStream) => new Promise<Buffer>((resolve, reject) => {
  const parts: Buffer[] = [];
  s.on('data', (c: Buffer) => parts.push(c));
  s.on('end', () => resolve(Buffer.concat(parts)));
  s.on('error', reject);
});

describe('the SDKs against the Engine API', () => {
  let svc: Service;
  let d: Docker;
  beforeAll(async () => {
    svc = await startService();
    d = new Docker({ socketPath: svc.sock });
  });
  afterAll(async () => svc?.stop());

  it('Debian\'s python3-docker: run, attach streams, exec with stdin, archive get/put, build from a tar, events', () => {
    const r = spawnSync(PYTHON, [join(import.meta.dirname, 'clients', 'python_sdk.py')], { env: svc.env, encoding: 'utf8', timeout: 240_000 });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { check?: string; ok?: boolean; done?: boolean; detail?: unknown });
    const failed = lines.filter((l) => l.ok === false);
    expect(failed, r.stderr).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
    expect(lines.at(-1)).toMatchObject({ done: true, checks: 15 });
  });

  it('dockerode: attach (hijacked) before start, demuxed output, wait', async () => {
    const c = await d.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo do-out; echo do-err >&2; exit 2'] });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    const err = new PassThrough();
    d.modem.demuxStream(stream, out, err);
    const o = collect(out);
    const e = collect(err);
    stream.on('end', () => (out.end(), err.end()));
    await c.start();
    const w = (await c.wait()) as { StatusCode: number };
    expect(w.StatusCode).toBe(2);
    expect((await o).toString()).toBe('do-out\n');
    expect((await e).toString()).toBe('do-err\n');
    await c.remove();
  });

  it('dockerode: exec with stdin over the hijacked connection, and its exit code', async () => {
    const c = await d.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    const ex = await c.exec({ Cmd: ['sh', '-c', 'cat; exit 6'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const s = await ex.start({ hijack: true, stdin: true });
    const out = new PassThrough();
    d.modem.demuxStream(s, out, new PassThrough());
    const got = collect(out);
    s.on('end', () => out.end());
    s.write('through stdin\n');
    (s as unknown as { end: () => void }).end();
    expect((await got).toString()).toBe('through stdin\n');
    const info = await ex.inspect();
    expect(info.ExitCode).toBe(6);
    await c.remove({ force: true });
  });

  it('dockerode: archive put and get, and an invalid tar answered 400', async () => {
    const c = await d.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    await c.putArchive(tarOf({ 'via-dockerode.txt': 'node put\n' }), { path: '/tmp' });
    const tar = await collect((await c.getArchive({ path: '/tmp/via-dockerode.txt' })) as unknown as NodeJS.ReadableStream);
    expect(tar.subarray(0, 100).toString().replace(/\0+$/, '')).toBe('via-dockerode.txt');
    expect(tar.toString()).toContain('node put\n');
    const bad = await c.putArchive(Buffer.from('this is not a tar archive at all'.repeat(40)), { path: '/tmp' }).catch((e: { statusCode: number; message: string }) => e);
    expect((bad as { statusCode: number }).statusCode).toBe(400);
    await c.remove({ force: true });
  });

  it('dockerode: build from a tar stream, then events for what it did', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const stream = await d.buildImage(tarOf({ Dockerfile: 'FROM busybox\nRUN echo node-built > /n\n' }), { t: 'node-built:1' });
    const res = await new Promise<Array<{ stream?: string; aux?: { ID: string }; error?: string }>>((resolve, reject) => d.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))));
    expect(res.some((m) => m.error)).toBe(false);
    expect(res.find((m) => m.aux)?.aux?.ID).toMatch(/^sha256:[0-9a-f]{64}$/);
    const info = await d.getImage('node-built:1').inspect();
    expect(info.RepoTags).toContain('node-built:1');
    const c = await d.createContainer({ Image: 'node-built:1', Cmd: ['cat', '/n'] });
    await c.start();
    await c.wait();
    const logs = (await c.logs({ stdout: true, follow: false })) as unknown as Buffer;
    expect(logs.subarray(8).toString()).toBe('node-built\n');
    await c.remove();
    const ev = await d.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['container'] } });
    const evs = (await collect(ev as unknown as NodeJS.ReadableStream)).toString().trim().split('\n').map((l) => JSON.parse(l) as { Action: string; id: string });
    expect(evs.filter((e) => e.id === c.id).map((e) => e.Action)).toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
  });
});
