import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import type { BuildRequest } from '../../../main/engine/builder/builder.js';
import { buildText as buildTextIn, buildWith, makeContext, rootfs, stepStatuses, storeWithBase } from './build-helpers.js';

const store = storeWithBase();
let engine: Engine;
beforeAll(() => {
  engine = store.engine;
});
const buildText = (dockerfile: string, files: Record<string, string | { link: string }> = {}, extra: Partial<BuildRequest> = {}) => buildTextIn(engine, dockerfile, files, extra);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every layer blob of an image, as text (locally built layers are plain tar). */
function layerTexts(ref: string): string[] {
  return engine.images.resolve(ref).layers.map((l) => readFileSync(engine.store.blobs.path(l.blobDigest)).toString('latin1'));
}

describe('RUN --mount=type=cache', () => {
  it('keeps files between builds, outside every layer and outside the cache key', async () => {
    const first = await buildText('FROM localhost/busybox:latest\nRUN --mount=type=cache,target=/root/.cache/tool echo one >> /root/.cache/tool/log && cp /root/.cache/tool/log /seen1\n');
    expect(first.fs.get('/seen1')!.size).toBe(4);
    const df = 'FROM localhost/busybox:latest\nRUN --mount=type=cache,target=/root/.cache/tool cat /root/.cache/tool/log > /seen2 && echo two >> /root/.cache/tool/log\n';
    const second = await buildText(df);
    expect(second.fs.get('/seen2')!.sha256).toBe(sha('one\n'));
    // the mount point and its new parents are not content; the cache's files are nowhere in the image
    for (const r of [first, second]) {
      expect(r.fs.has('/root/.cache')).toBe(false);
      expect(layerTexts(r.imageId).some((t) => t.includes('.cache/tool'))).toBe(false);
    }
    // the cache dir changed (two lines now) but the step is still cached: contents are not an input
    const again = await buildWith(engine, { context: second.ctx });
    expect(stepStatuses(again.events)).toEqual([expect.stringMatching(/^CACHED RUN --mount=type=cache/)]);
    const dirs = readdirSync(engine.store.paths.cacheMounts).filter((n) => !n.endsWith('.lock'));
    expect(dirs.some((d) => existsSync(join(engine.store.paths.cacheMounts, d, 'log')) && readFileSync(join(engine.store.paths.cacheMounts, d, 'log'), 'utf8') === 'one\ntwo\n')).toBe(true);
  });

  it('id, uid/gid/mode for a new cache, from= seeds it, readonly refuses writes', async () => {
    const { fs } = await buildText(
      'FROM localhost/busybox:latest AS seed\nRUN mkdir -p /s && echo seeded > /s/file\n' +
        'FROM localhost/busybox:latest\n' +
        'RUN --mount=type=cache,id=owned,target=/c,uid=65534,gid=65534,mode=0700 stat -c "%u:%g %a" /c > /owner\n' +
        'RUN --mount=type=cache,id=seeded,target=/c,from=seed,source=/s cat /c/file > /fromseed\n' +
        'RUN --mount=type=cache,id=owned,target=/c,ro sh -c "touch /c/x 2>/dev/null && echo rw || echo ro" > /ro\n',
    );
    expect(fs.get('/owner')!.sha256).toBe(sha('65534:65534 700\n'));
    expect(fs.get('/fromseed')!.sha256).toBe(sha('seeded\n'));
    expect(fs.get('/ro')!.sha256).toBe(sha('ro\n'));
  });

  it('sharing=locked serialises two parallel builds; shared lets them overlap', async () => {
    // Two engines on one store, as two CLI processes would be; the lock is a kernel flock.
    const other = new Engine(engine.store.paths.root);
    try {
      const step = (who: string, sharing: string, body: string) =>
        `FROM localhost/busybox:latest\nARG WHO=${who}\nRUN --mount=type=cache,id=lock-${sharing},target=/c,sharing=${sharing} ${body}\n`;
      const locked = (who: string) => step(who, 'locked', `sh -c 'echo $WHO-start >> /c/log; sleep 0.5; echo $WHO-end >> /c/log'`);
      await Promise.all([buildWith(engine, { context: makeContext({ Dockerfile: locked('A') }) }), buildWith(other, { context: makeContext({ Dockerfile: locked('B') }) })]);
      // overlapping shared builds: each waits (at most 20 s) until the other has started
      const shared = (who: string, peer: string) => step(who, 'shared', `sh -c 'echo $WHO-start >> /c/log; i=0; until grep -q ${peer}-start /c/log || [ $i -ge 400 ]; do sleep 0.05; i=$((i+1)); done; echo $WHO-end >> /c/log'`);
      await Promise.all([buildWith(engine, { context: makeContext({ Dockerfile: shared('A', 'B') }) }), buildWith(other, { context: makeContext({ Dockerfile: shared('B', 'A') }) })]);
      const logOf = (id: string) => readFileSync(join(engine.store.paths.cacheMounts, sha(id).slice(0, 24), 'log'), 'utf8').trim().split('\n');
      // locked: one step's start and end, then the other's
      const l = logOf('lock-locked');
      expect(l).toHaveLength(4);
      expect([l[0]!.slice(0, 1), l[2]!.slice(0, 1)].sort()).toEqual(['A', 'B']);
      expect(l).toEqual([`${l[0]!.slice(0, 1)}-start`, `${l[0]!.slice(0, 1)}-end`, `${l[2]!.slice(0, 1)}-start`, `${l[2]!.slice(0, 1)}-end`]);
      // shared: both started before either ended
      expect(logOf('lock-shared').slice(0, 2).sort()).toEqual(['A-start', 'B-start']);
    } finally {
      other.close();
    }
  });

  it('sharing=private gives a second concurrent build its own copy', async () => {
    const other = new Engine(engine.store.paths.root);
    try {
      // A shared cache is the rendezvous: both steps are inside RUN at once, then each lists its private cache.
      const df = (who: string, peer: string) =>
        `FROM localhost/busybox:latest\nARG WHO=${who}\nRUN --mount=type=cache,id=rv,target=/rv --mount=type=cache,id=mine,target=/p,sharing=private sh -c 'touch /rv/$WHO; i=0; until [ -f /rv/${peer} ] || [ $i -ge 400 ]; do sleep 0.05; i=$((i+1)); done; touch /p/$WHO; ls /p > /seen; ls /rv > /rendezvous'\n`;
      const [a, b] = await Promise.all([buildWith(engine, { context: makeContext({ Dockerfile: df('A', 'B') }) }), buildWith(other, { context: makeContext({ Dockerfile: df('B', 'A') }) })]);
      const fa = await rootfs(engine, a.imageId);
      const fb = await rootfs(engine, b.imageId);
      expect(fa.get('/rendezvous')!.sha256).toBe(sha('A\nB\n'));
      expect(fa.get('/seen')!.sha256).toBe(sha('A\n'));
      expect(fb.get('/seen')!.sha256).toBe(sha('B\n'));
    } finally {
      other.close();
    }
  });
});

describe('RUN --mount=type=bind and tmpfs', () => {
  it('a stage\'s files, read-only by default; rw writes are discarded and never reach the stage', async () => {
    const { fs } = await buildText(
      'FROM localhost/busybox:latest AS tools\nRUN mkdir -p /opt/t && echo tool > /opt/t/x\n' +
        'FROM localhost/busybox:latest\n' +
        'RUN --mount=type=bind,from=tools,source=/opt/t,target=/mnt cat /mnt/x > /got && (touch /mnt/new 2>/dev/null && echo rw || echo ro) > /mode\n' +
        'RUN --mount=type=bind,from=tools,source=/opt/t,target=/mnt,rw touch /mnt/new && ls /mnt > /ls\n' +
        'COPY --from=tools /opt/t /after/\n',
    );
    expect(fs.get('/got')!.sha256).toBe(sha('tool\n'));
    expect(fs.get('/mode')!.sha256).toBe(sha('ro\n'));
    expect(fs.get('/ls')!.sha256).toBe(sha('new\nx\n'));
    expect(fs.has('/after/new')).toBe(false);
    expect(fs.has('/mnt')).toBe(false);
  });

  it('the build context (default type): .dockerignore applies, its content is in the cache key, writes stay off the host', async () => {
    const { fs, ctx } = await buildText(
      'FROM localhost/busybox:latest\nRUN --mount=target=/ctx,rw cat /ctx/a.txt > /got && ls -A /ctx > /ls && echo x > /ctx/a.txt\n',
      { 'a.txt': 'v1', 'secret.env': 'hidden', '.dockerignore': 'secret.env\n' },
    );
    expect(fs.get('/got')!.sha256).toBe(sha('v1'));
    expect(readFileSync(join(ctx, 'a.txt'), 'utf8')).toBe('v1');
    expect(fs.get('/ls')!.sha256).toBe(sha('.dockerignore\nDockerfile\na.txt\n'));
    writeFileSync(join(ctx, 'a.txt'), 'v2');
    const again = await buildWith(engine, { context: ctx });
    expect(stepStatuses(again.events)).toEqual([expect.stringMatching(/^MISS RUN --mount=target=\/ctx,rw/)]);
    expect((await rootfs(engine, again.imageId)).get('/got')!.sha256).toBe(sha('v2'));
  });

  it('from= an image (not a stage) works the same way', async () => {
    const { fs } = await buildText('FROM scratch AS empty\nFROM localhost/busybox:latest\nRUN --mount=type=bind,from=localhost/busybox:latest,source=/bin,target=/tmp ls /tmp/busybox > /seen && ls -A /tmp > /dev/null\nRUN --mount=from=empty,target=/tmp ls -A /tmp > /empty\n');
    expect(fs.get('/seen')!.sha256).toBe(sha('/tmp/busybox\n'));
    expect(fs.get('/empty')!.size).toBe(0);
  });

  it('a missing source and a stage defined later are clear errors', async () => {
    await expect(buildText('FROM localhost/busybox:latest AS a\nFROM localhost/busybox:latest\nRUN --mount=from=a,source=/nope,target=/m true\n')).rejects.toThrow(/mount source "\/nope" not found in stage a/);
    await expect(buildText('FROM localhost/busybox:latest AS first\nRUN --mount=type=bind,from=later,target=/m true\nFROM localhost/busybox:latest AS later\nFROM first\n')).rejects.toThrow(/cannot mount from stage "later", stage needs to be defined before current command/);
    await expect(buildText('FROM localhost/busybox:latest\nRUN --mount=type=cahce,target=/m true\n')).rejects.toThrow(/unsupported mount type "cahce" \(did you mean cache\?\)/);
  });

  it('tmpfs: a size-limited tmpfs whose files are not in the layer', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN --mount=type=tmpfs,target=/scratch,size=2m grep " /scratch " /proc/mounts | cut -d" " -f3,4 > /m && echo x > /scratch/f\n');
    const m = fs.get('/m')!;
    expect(m.size).toBeGreaterThan(0);
    expect(fs.has('/scratch')).toBe(false);
    const { fs: fs2 } = await buildText('FROM localhost/busybox:latest\nRUN --mount=type=tmpfs,target=/scratch,size=2m grep " /scratch " /proc/mounts > /line\n');
    expect(fs2.get('/line')!.size).toBeGreaterThan(10);
  });
});

describe('RUN --mount=type=secret', () => {
  const SECRET = 'xK9-very-secret-value-4711';
  it('readable as a file and as env in the step; absent from every layer, the history, the cache key rows and the build record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-secret-'));
    const file = join(dir, 'token');
    writeFileSync(file, SECRET);
    try {
      process.env.SLIPWAY_TEST_SECRET_ENV = SECRET;
      const { fs, imageId, config } = await buildText(
        'FROM localhost/busybox:latest\nUSER nobody\n' +
          `RUN --mount=type=secret,id=tok,uid=65534 test "$(cat /run/secrets/tok)" = "${SECRET.slice(0, 4)}$(echo ${SECRET.slice(4)})" && echo file-ok > /tmp/ok1\n` +
          'RUN --mount=type=secret,id=envtok,env=TOKEN,required test -n "$TOKEN" && test "${#TOKEN}" = ' + SECRET.length + ' && ! test -e /run/secrets/envtok && echo env-ok > /tmp/ok2\n' +
          'RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo skipped > /tmp/ok3\n' +
          'RUN --mount=type=secret,id=tok,target=/tmp/t,mode=0440,gid=65534 stat -c "%a %u:%g" /tmp/t > /tmp/mode && stat -c "%a" /run/secrets 2>/dev/null > /tmp/none; true\n',
        {},
        { secrets: { tok: { file }, envtok: { env: 'SLIPWAY_TEST_SECRET_ENV' } } },
      );
      expect(fs.get('/tmp/ok1')!.sha256).toBe(sha('file-ok\n'));
      expect(fs.get('/tmp/ok2')!.sha256).toBe(sha('env-ok\n'));
      expect(fs.get('/tmp/ok3')!.sha256).toBe(sha('skipped\n'));
      expect(fs.get('/tmp/mode')!.sha256).toBe(sha('440 0:65534\n'));
      expect(fs.has('/tmp/t')).toBe(false);
      expect(fs.has('/run/secrets')).toBe(false);
      expect(JSON.stringify(config)).not.toContain(SECRET);
      for (const t of layerTexts(imageId)) expect(t.includes(SECRET)).toBe(false);
      // every blob and every database file of the store
      engine.store.db.pragma('wal_checkpoint(TRUNCATE)');
      const blobs = readdirSync(engine.store.paths.blobsDir).map((n) => join(engine.store.paths.blobsDir, n));
      for (const f of [...blobs, ...readdirSync(engine.store.paths.root).filter((n) => n.startsWith('slipway.db')).map((n) => join(engine.store.paths.root, n))]) {
        expect(readFileSync(f).includes(Buffer.from(SECRET)), f).toBe(false);
      }
    } finally {
      delete process.env.SLIPWAY_TEST_SECRET_ENV;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a required secret that was not given fails the step with its id', async () => {
    await expect(buildText('FROM localhost/busybox:latest\nRUN --mount=type=secret,id=missing,required=true true\n')).rejects.toThrow(/secret missing not found: pass --secret id=missing/);
  });
});

describe('RUN --mount=type=ssh', () => {
  it('forwards a real ssh-agent: ssh-add -l inside lists the key, as root and as another user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-ssh-'));
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'slipway-test-key', '-f', join(dir, 'id')]);
      execFileSync('ssh-add', ['-q', join(dir, 'id')], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
      const want = execFileSync('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).toString();
      // ssh-add and the libraries it links, from the host's openssh-client, into the image
      const ctx = makeContext({ Dockerfile: 'FROM localhost/busybox:latest\nCOPY root/ /\nRUN --mount=type=ssh ssh-add -l > /keys\nUSER nobody\nRUN --mount=type=ssh,id=default,uid=65534,target=/tmp/agent SSH_AUTH_SOCK=/tmp/agent ssh-add -l > /tmp/keys-nobody\n' });
      const libs = execFileSync('ldd', ['/usr/bin/ssh-add']).toString().split('\n').map((l) => /(\/\S+)/.exec(l)?.[1]).filter((p): p is string => !!p);
      for (const p of ['/usr/bin/ssh-add', ...libs]) {
        mkdirSync(join(ctx, 'root', dirname(p)), { recursive: true });
        copyFileSync(p, join(ctx, 'root', p));
      }
      execFileSync('chmod', ['755', join(ctx, 'root/usr/bin/ssh-add')]);
      const { imageId } = await buildWith(engine, { context: ctx, ssh: { default: [sock] } });
      const fs = await rootfs(engine, imageId);
      expect(fs.get('/keys')!.sha256).toBe(sha(want));
      expect(fs.get('/tmp/keys-nobody')!.sha256).toBe(sha(want));
      expect(fs.has('/run/buildkit')).toBe(false);
      // key files instead of a socket: a private agent for the build
      const ctx2 = makeContext({ Dockerfile: 'FROM ' + imageId + '\nUSER root\nRUN --mount=type=ssh,id=deploy ssh-add -l > /keys2\n' });
      const r2 = await buildWith(engine, { context: ctx2, ssh: { deploy: [join(dir, 'id')] } });
      expect((await rootfs(engine, r2.imageId)).get('/keys2')!.sha256).toBe(sha(want));
    } finally {
      if (agent.pid) process.kill(agent.pid, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RUN --network and --security', () => {
  it('--network=none has only lo; --security=insecure needs the entitlement, then runs privileged', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN --network=none ls /sys/class/net > /nets\n');
    expect(fs.get('/nets')!.sha256).toBe(sha('lo\n'));
    await expect(buildText('FROM localhost/busybox:latest\nRUN --security=insecure true\n')).rejects.toThrow(/needs the security.insecure entitlement: build with --allow security.insecure/);
    const p = await buildText('FROM localhost/busybox:latest\nRUN --security=insecure grep CapEff /proc/self/status > /caps && mkdir /m && mount -t tmpfs none /m && echo mounted > /ok\nRUN grep CapEff /proc/self/status > /caps-sandbox\n', {}, { allow: ['security.insecure'] });
    expect(p.fs.get('/ok')!.sha256).toBe(sha('mounted\n'));
    expect(p.fs.get('/caps')!.sha256).not.toBe(p.fs.get('/caps-sandbox')!.sha256);
  });
});

describe('heredoc with #!', () => {
  it('runs with its interpreter line (here: busybox awk), not with the shell', async () => {
    const { fs } = await buildText('FROM localhost/busybox:latest\nRUN <<EOF\n#!/usr/bin/awk -f\nBEGIN { print "from awk" > "/out" }\nEOF\n');
    expect(fs.get('/out')!.sha256).toBe(sha('from awk\n'));
    expect(fs.has('/dev/pipes')).toBe(false);
  });
});
