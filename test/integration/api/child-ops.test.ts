import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { api, DOCKER, docker, dockerOk, startService, tarOf, type Service } from './harness.js';

interface Proc {
  ppid: number;
  args: string;
}

/** Every process now, from /proc: pid -> parent and command line. */
function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.set(Number(name), { ppid, args });
    } catch {
      // it ended while we looked
    }
  }
  return out;
}

/** The chain of parents of `pid`, nearest first. */
function ancestors(procs: Map<number, Proc>, pid: number): number[] {
  const chain: number[] = [];
  for (let p = procs.get(pid)?.ppid; p && p > 1 && !chain.includes(p); p = procs.get(p)?.ppid) chain.push(p);
  return chain;
}

/** The processes below `pid` whose command line matches. */
function below(pid: number, args: RegExp): number[] {
  const procs = processes();
  return [...procs].filter(([p, v]) => args.test(v.args) && ancestors(procs, p).includes(pid)).map(([p]) => p);
}

/** Waits (bounded) for `cond`; the caller asserts what it is waiting for afterwards. */
async function until(cond: () => boolean, tries = 600): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
}

/** `docker build` (and pull, load) through `slipway system service`: the work runs in a child process of the service, not in it. */
describe('the Engine API service runs builds in a child process', () => {
  let svc: Service;
  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.stop());

  it('a build keeps no hash rows for the context the service unpacked and deleted (the store does not grow per build)', () => {
    const ctx = mkdtempSync(join(tmpdir(), 'slipway-api-ctx-'));
    try {
      for (let i = 0; i < 50; i++) writeFileSync(join(ctx, `f${i}`), `file ${i}\n`);
      writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/busybox:latest\nCOPY . /ctx/\nRUN ls /ctx | wc -l\n');
      for (let i = 0; i < 2; i++) expect(docker(svc, ['build', '-q', '-t', 'hashes:1', ctx]).code).toBe(0);
      expect(docker(svc, ['run', '--rm', 'hashes:1', 'sh', '-c', 'ls /ctx | wc -l']).stdout.trim()).toBe('51');
      const db = new Database(join(svc.root, 'slipway.db'), { readonly: true });
      try {
        const rows = db.prepare(`SELECT count(*) AS n FROM build_file_hashes WHERE path LIKE ?`).get(`${join(svc.root, 'tmp')}/%`) as { n: number };
        expect(rows.n).toBe(0);
      } finally {
        db.close();
      }
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });

  it('the RUN step runs below a task child, and the client going away cancels it there: no image, no child, no process, no context left', async () => {
    const cli = spawn(DOCKER, ['build', '-t', 'cancelled:1', '-'], { env: svc.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
    cli.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => cli.once('exit', r));
    cli.stdin.end('FROM busybox\nRUN echo build-started && sleep 600\n');
    await until(() => out.includes('build-started') || cli.exitCode !== null);
    expect(out).toContain('build-started');
    await until(() => below(svc.proc.pid, /^sleep 600$/).length > 0);

    // service -> api-child.cjs -> runc -> the RUN's process
    const procs = processes();
    const [sleeper] = below(svc.proc.pid, /^sleep 600$/);
    expect(sleeper).toBeDefined();
    const chain = ancestors(procs, sleeper!);
    const underService = chain[chain.indexOf(svc.proc.pid) - 1]!;
    expect(procs.get(underService)?.args).toMatch(/api-child\.cjs$/);
    expect(procs.get(sleeper!)?.ppid).not.toBe(svc.proc.pid);

    cli.kill('SIGKILL');
    await exited;
    await until(() => below(svc.proc.pid, /api-child|^sleep 600$/).length === 0);
    expect(below(svc.proc.pid, /api-child|^sleep 600$/)).toEqual([]);
    expect(processes().has(sleeper!)).toBe(false);
    expect(dockerOk(svc, ['images', '-q', 'cancelled'])).toBe('');
    await until(() => readdirSync(join(svc.root, 'tmp')).filter((n) => n.startsWith('build-')).length === 0);
    expect(readdirSync(join(svc.root, 'tmp')).filter((n) => n.startsWith('build-'))).toEqual([]);
    expect(svc.stderr()).not.toMatch(/internal error/);

    // and the service builds on
    const again = docker(svc, ['build', '-t', 'after-cancel:1', '-'], { input: 'FROM busybox\nRUN echo built > /b\n' });
    expect(again.stdout).toMatch(/Successfully tagged after-cancel:1\n/);
    expect(dockerOk(svc, ['run', '--rm', 'after-cancel:1', 'cat', '/b'])).toBe('built\n');
  });

  it("a failing RUN's exit code comes back from the child: errorDetail.code and the message, as dockerd's JSON", async () => {
    const r = await api(svc, 'POST', '/build?t=fails:1', { body: tarOf({ Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 3\n' }), headers: { 'Content-Type': 'application/x-tar' } });
    expect(r.status).toBe(200);
    const lines = r.body.toString().split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as { stream?: string; error?: string; errorDetail?: { code?: number; message: string } });
    expect(lines.map((l) => l.stream).filter(Boolean)).toEqual(['Step 1/2 : FROM busybox\n', 'Step 2/2 : RUN echo about to fail && exit 3\n', 'about to fail\n']);
    const last = lines.at(-1)!;
    expect(last.errorDetail?.code).toBe(3);
    expect(last.error).toBe(last.errorDetail?.message);
    expect(last.error).toMatch(/exit code: 3|returned a non-zero code: 3/);
  });

  it("load and pull, in the child too, keep dockerd's error shapes: a 400 before the stream, an error line in it", async () => {
    const load = await api(svc, 'POST', '/images/load', { body: 'not a tar\n', headers: { 'Content-Type': 'application/x-tar' } });
    expect(load.status).toBe(400);
    expect(load.json()).toEqual({ message: 'the request body is not a valid image archive: the archive is truncated' });
    const pull = await api(svc, 'POST', '/images/create?fromImage=127.0.0.1:1/nope&tag=1');
    expect(pull.status).toBe(200);
    expect(JSON.parse(pull.body.toString().trim().split('\r\n').at(-1)!)).toEqual({
      errorDetail: { message: expect.stringMatching(/^cannot reach registry 127\.0\.0\.1:1: connection refused/) },
      error: expect.stringMatching(/^cannot reach registry 127\.0\.0\.1:1: connection refused/),
    });
    await until(() => below(svc.proc.pid, /api-child/).length === 0);
    expect(below(svc.proc.pid, /api-child/)).toEqual([]);
    expect(readdirSync(join(svc.root, 'tmp')).filter((n) => n.startsWith('load-'))).toEqual([]);
  });
});
