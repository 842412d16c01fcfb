import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cliStoreWithBase, makeContext } from './build-helpers.js';

// The CLI as a user runs it (compiled: `npx tsc -p tsconfig.json` first).
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'slipway.js');
const store = cliStoreWithBase();
const ciStore = cliStoreWithBase();

function slipway(args: string[]) {
  const r = spawnSync('node', [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: store.root }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function slipwayAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('node', [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: store.root }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('build cache from the CLI', () => {
  it('two CLI builds with sharing=locked take turns on the cache (a lock across processes)', async () => {
    const df = (who: string) => `FROM localhost/busybox:latest\nRUN --mount=type=cache,id=cli-lock,target=/c,sharing=locked sh -c 'echo ${who}-start >> /c/log; sleep 0.5; echo ${who}-end >> /c/log'\n`;
    const [a, b] = await Promise.all([slipwayAsync(['build', '-q', makeContext({ Dockerfile: df('A') })]), slipwayAsync(['build', '-q', makeContext({ Dockerfile: df('B') })])]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const dir = createHash('sha256').update('cli-lock').digest('hex').slice(0, 24);
    const log = readFileSync(join(store.root, 'cache-mounts', dir, 'log'), 'utf8').trim().split('\n');
    const first = log[0]!.slice(0, 1);
    const second = first === 'A' ? 'B' : 'A';
    expect(log).toEqual([`${first}-start`, `${first}-end`, `${second}-start`, `${second}-end`]);
  });

  it('--secret from a file and from the environment; --allow is checked', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nRUN --mount=type=secret,id=a,required test "$(cat /run/secrets/a)" = file-secret\nRUN --mount=type=secret,id=B_TOKEN,env=B,required test "$B" = env-secret\n' });
    writeFileSync(join(ctx, '..', 'a-secret'), 'file-secret');
    const r = spawnSync('node', [BIN, 'build', '-q', '--secret', `id=a,src=${join(ctx, '..', 'a-secret')}`, '--secret', 'id=B_TOKEN', ctx], { env: { ...process.env, SLIPWAY_ROOT: store.root, B_TOKEN: 'env-secret' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bad = slipway(['build', '--allow', 'root.everything', ctx]);
    expect(bad.stderr.trim()).toBe('Error: invalid entitlement: root.everything (use security.insecure or network.host)');
    const badSecret = slipway(['build', '--secret', 'id=x,type=vault', ctx]);
    expect(badSecret.stderr.trim()).toBe('Error: unsupported secret type "vault": use file or env');
  });

  it('builder du and system df show the step layers and the cache mounts; prune --filter and --all empty them', () => {
    // start from an empty build cache (the tests above filled it)
    expect(slipway(['builder', 'prune', '-a', '-f']).code).toBe(0);
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nRUN --mount=type=cache,id=du-test,target=/c dd if=/dev/zero of=/c/blob bs=1024 count=300 2>/dev/null && echo made > /made\n' });
    expect(slipway(['build', '-q', '-t', 'du:test', ctx]).code).toBe(0);
    const du = slipway(['builder', 'du']);
    expect(du.code).toBe(0);
    const lines = du.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED$/);
    const mountRow = lines.find((l) => /^\S+\*\s+true\s+307\.2kB\s/.test(l));
    expect(mountRow, du.stdout).toBeDefined();
    // the RUN layer is used by du:test, so it is shared and not reclaimable
    expect(lines.some((l) => /^\S+\s+false\s+\S+\*\s/.test(l)), du.stdout).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^Total:\s+\S+/);
    const df = slipway(['system', 'df']);
    const cacheRow = df.stdout.split('\n').find((l) => l.startsWith('Build Cache'))!;
    expect(cacheRow).toMatch(/^Build Cache\s+2\s+0\s+307\.2kB\s+307\.2kB$/);
    const dfv = slipway(['system', 'df', '-v']);
    expect(dfv.stdout).toMatch(/Build cache usage: 307\.2kB/);
    expect(dfv.stdout).toMatch(/exec\.cachemount\s+307\.2kB/);

    const onlyMounts = slipway(['builder', 'prune', '-f', '--filter', 'type=exec.cachemount']);
    expect(onlyMounts.stdout).toContain('Deleted build cache objects:');
    expect(onlyMounts.stdout).toContain(mountRow!.split(/\s+/)[0]!.replace('*', ''));
    expect(onlyMounts.stdout.trim().split('\n').pop()).toMatch(/^Total reclaimed space: 307\.2kB$/);
    expect(slipway(['builder', 'du']).stdout).not.toMatch(/\*\s+true/);
    // without --all the shared step layer stays; with --all its cache record goes (the image keeps the layer)
    expect(slipway(['builder', 'prune', '-f']).stdout).toContain('Total reclaimed space: 0B');
    const all = slipway(['builder', 'prune', '-a', '-f']);
    expect(all.stdout).toContain('Deleted build cache objects:');
    expect(slipway(['builder', 'du']).stdout.trim().split('\n').pop()).toMatch(/^Total:\s+0B$/);
    expect(slipway(['run', '--rm', '--network', 'none', 'du:test', 'cat', '/made']).stdout).toBe('made\n');
  });

  it('--cache-to type=local on one store, --cache-from type=local on an empty one: every step CACHED', () => {
    const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n', 'a.txt': 'a' });
    const dir = join(ctx, '..', 'ci-cache');
    expect(slipway(['build', '-q', '--cache-to', `type=local,dest=${dir},mode=max`, ctx]).code).toBe(0);
    const r = spawnSync('node', [BIN, 'build', '--progress', 'plain', '--cache-from', `type=local,src=${dir}`, ctx], { env: { ...process.env, SLIPWAY_ROOT: ciStore.root }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/COPY a.txt \/a.txt\n#\d+ CACHED/);
    expect(r.stderr).toMatch(/RUN cat \/a.txt > \/b.txt\n#\d+ CACHED/);
    expect(slipway(['build', '--cache-to', 'type=s3,bucket=x', ctx]).stderr.trim()).toBe('Error: cache type "s3" is not supported for --cache-to: use local or inline');
  });
});
