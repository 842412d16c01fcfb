import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../../main/engine/engine.js';
import { cliStoreWithBase, makeContext } from './build-helpers.js';

// The CLI as a user runs it (compiled: `npx tsc -p tsconfig.json` first).
const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'slipway.js');
const store = cliStoreWithBase();

function slipway(args: string[]) {
  const r = spawnSync('node', [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: store.root }, encoding: 'buffer' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function imageCount(): number {
  const e = new Engine(store.root);
  try {
    return e.images.list().length;
  } finally {
    e.close();
  }
}

const DF = 'FROM localhost/busybox:latest AS build\nRUN mkdir -p /out/bin && echo artifact > /out/bin/tool && chmod 750 /out/bin/tool && ln -s bin/tool /out/link && rm -rf /out/gone\nFROM scratch AS export\nCOPY --from=build /out/ /\n';

describe('build --output, --metadata-file, --iidfile', () => {
  it('-o DIR writes the stage\'s files (modes, links) and makes no image', () => {
    const ctx = makeContext({ Dockerfile: DF });
    const dest = join(mkdtempSync(join(tmpdir(), 'slipway-out-')), 'files');
    const before = imageCount();
    const r = slipway(['build', '-o', dest, ctx]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dest, 'bin/tool'), 'utf8')).toBe('artifact\n');
    expect(lstatSync(join(dest, 'bin/tool')).mode & 0o777).toBe(0o750);
    expect(readlinkSync(join(dest, 'link'))).toBe('bin/tool');
    expect(existsSync(join(dest, 'etc'))).toBe(false);
    expect(imageCount()).toBe(before);
  });

  it('type=tar to a file and to stdout (-o -), of an intermediate --target stage', () => {
    const ctx = makeContext({ Dockerfile: DF });
    const file = join(mkdtempSync(join(tmpdir(), 'slipway-out-')), 'rootfs.tar');
    expect(slipway(['build', '--output', `type=tar,dest=${file}`, '--target', 'export', ctx]).code).toBe(0);
    const list = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' }).stdout;
    expect(list).toMatch(/^-rwxr-x--- 0\/0\s+9 .* bin\/tool$/m);
    expect(list).toMatch(/^l.* link -> bin\/tool$/m);
    const piped = slipway(['build', '-o', '-', ctx]);
    expect(piped.code).toBe(0);
    const fromStdout = spawnSync('tar', ['-tf', '-'], { input: piped.stdout, encoding: 'utf8' }).stdout.split('\n');
    expect(fromStdout).toContain('bin/tool');
    expect(slipway(['build', '-q', '-o', '-', ctx]).stderr.trim()).toBe('Error: -q prints the image ID on stdout, where -o - writes the tar: drop one of them');
    expect(slipway(['build', '-o', 'type=registry,ref=x', ctx]).stderr.trim()).toBe('Error: output type "registry" is not supported: use local, tar or image');
  });

  it('--metadata-file has BuildKit\'s keys; --iidfile the image ID', () => {
    const ctx = makeContext({ Dockerfile: DF });
    const dir = mkdtempSync(join(tmpdir(), 'slipway-meta-'));
    const r = slipway(['build', '-q', '-t', 'meta/test:v1', '-t', 'other', '--metadata-file', join(dir, 'meta.json'), '--iidfile', join(dir, 'iid'), ctx]);
    expect(r.code).toBe(0);
    const id = readFileSync(join(dir, 'iid'), 'utf8');
    expect(r.stdout.toString().trim()).toBe(id);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    expect(meta['containerimage.config.digest']).toBe(id);
    expect(meta['image.name']).toBe('docker.io/meta/test:v1,docker.io/library/other:latest');
    expect(meta['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(meta['containerimage.descriptor']).toEqual({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: meta['containerimage.digest'], size: expect.any(Number) });
    const e = new Engine(store.root);
    try {
      expect(e.images.resolve('meta/test:v1').manifestDigest).toBe(meta['containerimage.digest']);
    } finally {
      e.close();
    }
  });

  it('--platform takes one platform', () => {
    const ctx = makeContext({ Dockerfile: DF });
    expect(slipway(['build', '--platform', 'linux/amd64,linux/arm64', ctx]).stderr.trim()).toMatch(/^Error: --platform linux\/amd64,linux\/arm64: slipway builds one platform at a time/);
  });
});
