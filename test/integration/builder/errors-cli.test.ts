import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot } from '../../helpers/tmp-store.js';
import { Engine } from '../../../main/engine/engine.js';
import { loadBase, makeContext } from './build-helpers.js';

// The CLI as a user runs it (compiled: `npx tsc -p tsconfig.json` first).
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'slipway.js');
let root: string;
let cleanup: () => void;

function slipway(args: string[], input?: string) {
  const r = spawnSync('node', [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: root }, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function storeState() {
  const e = new Engine(root);
  try {
    const images = (e.store.db.prepare(`SELECT COUNT(*) AS n FROM images`).get() as { n: number }).n;
    const tags = (e.store.db.prepare(`SELECT COUNT(*) AS n FROM tags`).get() as { n: number }).n;
    return { images, tags, snapshots: readdirSync(e.store.paths.snapshots).sort(), tmp: readdirSync(e.store.paths.tmp).filter((n) => !n.startsWith('probe')) };
  } finally {
    e.close();
  }
}

beforeAll(async () => {
  ({ root, cleanup } = tempRoot());
  const e = new Engine(root);
  await loadBase(e);
  e.close();
});
afterAll(() => cleanup());

describe('build errors', () => {
  it('a failing RUN shows its exit code and last output lines, and leaves nothing behind', () => {
    const before = storeState();
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nRUN echo first-line && echo last-words >&2 && exit 3\n' });
    const r = slipway(['build', '--progress', 'plain', '-t', 'willfail', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('#2 ');
    expect(r.stderr).toContain('last-words');
    const errLine = r.stderr.trim().split('\n').pop()!;
    expect(errLine).toBe('Error: Dockerfile:2: RUN echo first-line && echo last-words >&2 && exit 3: process "/bin/sh -c echo first-line && echo last-words >&2 && exit 3" did not complete successfully: exit code: 3');
    const after = storeState();
    expect(after).toEqual(before);
  });
  it('Ctrl-C during a RUN stops it and leaves nothing behind', async () => {
    const before = storeState();
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nRUN echo started && sleep 60\n' });
    const { spawn } = await import('node:child_process');
    const p = spawn('node', [BIN, 'build', '--progress', 'plain', ctx], { env: { ...process.env, SLIPWAY_ROOT: root } });
    let err = '';
    let sent = false;
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      p.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // once: a second Ctrl-C means "exit now", as in most CLIs
        if (!sent && /#2 [\d.]+ started/.test(err)) {
          sent = true;
          p.kill('SIGINT');
        }
      });
      p.on('close', resolve);
    });
    expect(code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(err).toMatch(/build cancelled/);
    expect(storeState()).toEqual(before);
    const { readFileSync: rf } = await import('node:fs');
    expect(rf('/proc/self/mountinfo', 'utf8')).not.toContain(root);
  });
  it('-q on failure still shows the output tail', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nRUN echo tail-me && false\n' });
    const r = slipway(['build', '-q', ctx]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('tail-me');
  });
  it('an unknown instruction names file:line and suggests the near miss', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nWORKDRI /x\n' });
    const r = slipway(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe('Error: Dockerfile:2: WORKDRI /x: unknown instruction: WORKDRI (did you mean WORKDIR?)');
  });
  it('a base image that is not in the store', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/nope:1\n' });
    const r = slipway(['build', ctx]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: Dockerfile:1: FROM localhost\/nope:1: image "localhost\/nope:1" is not in the store and pulling it failed: /);
  });
  it('a missing Dockerfile and a missing context are one-line errors', () => {
    const ctx = makeContext({ 'x.txt': 'x' });
    expect(slipway(['build', ctx]).stderr.trim()).toBe(`Error: cannot read the Dockerfile: ${join(ctx, 'Dockerfile')} does not exist (use -f to name another file)`);
    expect(slipway(['build', '/nonexistent/ctx']).stderr.trim()).toBe('Error: unable to prepare context: path "/nonexistent/ctx" not found');
  });
});

describe('slipway build CLI', () => {
  it('-q prints only the ID; --iidfile, several -t and --label', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nLABEL a=b\n' });
    const iid = join(ctx, 'iid');
    const r = slipway(['build', '-q', '-t', 'one:1', '-t', 'two:2', '--label', 'who=cli', '--iidfile', iid, ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    expect(readFileSync(iid, 'utf8')).toBe(r.stdout.trim());
    const e = new Engine(root);
    try {
      const img = e.images.resolve('one:1');
      expect(img.id).toBe(r.stdout.trim());
      expect(e.images.resolve('two:2').id).toBe(img.id);
      expect(e.images.config(img).config.Labels).toMatchObject({ a: 'b', who: 'cli' });
    } finally {
      e.close();
    }
  });
  it('plain progress: steps, CACHED on a rebuild, a summary', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nCOPY f /f\n', f: 'f' });
    slipway(['build', '-q', ctx]);
    const r = slipway(['build', '--progress', 'plain', '-t', 'plain:1', ctx]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('#1 [stage-0 1/2] FROM localhost/busybox:latest');
    expect(r.stderr).toContain('#2 [stage-0 2/2] COPY f /f\n#2 CACHED');
    expect(r.stderr).toMatch(/Successfully tagged plain:1/);
  });
  it('-f - reads the Dockerfile from stdin with the context; CONTEXT - has an empty context', () => {
    const ctx = makeContext({ f: 'f' });
    const r = slipway(['build', '-q', '-f', '-', ctx], 'FROM localhost/busybox:latest\nCOPY f /f\n');
    expect(r.code).toBe(0);
    const r2 = slipway(['build', '-q', '-'], 'FROM localhost/busybox:latest\nRUN echo hi > /hi\n');
    expect(r2.code).toBe(0);
    const r3 = slipway(['build', '-q', '-'], 'FROM localhost/busybox:latest\nCOPY f /f\n');
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/"f" not found: the build context is empty/);
  });
  it('--target and --build-arg from the CLI; bad flags are one-line errors', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest AS a\nARG X\nRUN echo $X > /x\nFROM a AS b\nRUN exit 1\n' });
    const r = slipway(['build', '-q', '--target', 'a', '--build-arg', 'X=1', ctx]);
    expect(r.code).toBe(0);
    const bad = slipway(['build', '--network', 'bridge', ctx]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const noTarget = slipway(['build', '--target', 'c', ctx]);
    expect(noTarget.stderr.trim()).toMatch(/^Error: target stage "c" could not be found; stages in Dockerfile: a, b$/);
  });
  it('builder prune', () => {
    const r = slipway(['builder', 'prune', '-f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(Deleted build cache objects:\n(\w+\n)+\n)?Total reclaimed space: \S+B\n$/);
    // --all also drops the cached steps of layers that images use (the images keep the layers)
    const all = slipway(['builder', 'prune', '-a', '-f']);
    expect(all.stdout).toMatch(/^Deleted build cache objects:\n(\w+\n)+\nTotal reclaimed space: \S+B\n$/);
    expect(existsSync(root)).toBe(true);
  });
});
