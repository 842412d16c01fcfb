import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Engine } from '../../../main/engine/engine.js';
import type { BuildRequest } from '../../../main/engine/builder/builder.js';
import { emulatorFor } from '../../../main/engine/builder/platform.js';
import { hostArch } from '../../../main/engine/image/types.js';
import { buildText as buildTextIn, storeWithBase } from './build-helpers.js';

const store = storeWithBase();
let engine: Engine;
beforeAll(() => {
  engine = store.engine;
});
const buildText = (dockerfile: string, files: Record<string, string> = {}, extra: Partial<BuildRequest> = {}) => buildTextIn(engine, dockerfile, files, extra);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const HOST = `linux/${hostArch()}`;
const OTHER = hostArch() === 'arm64' ? 'linux/amd64' : 'linux/arm64';

describe('platforms', () => {
  it('the automatic platform ARGs: global for FROM, redeclared in a stage, --platform sets the target', async () => {
    const df =
      'ARG BASE=localhost/busybox:latest\nFROM --platform=$BUILDPLATFORM $BASE AS build\nARG TARGETPLATFORM\nARG TARGETOS\nARG TARGETARCH\nARG TARGETVARIANT\nARG BUILDPLATFORM\nARG BUILDARCH\n' +
      'RUN echo "$TARGETPLATFORM $TARGETOS $TARGETARCH [$TARGETVARIANT] $BUILDPLATFORM $BUILDARCH" > /platforms && echo "[$UNSET_IN_STAGE]" >> /platforms\n' +
      'FROM scratch\nCOPY --from=build /platforms /\n';
    const here = await buildText(df);
    expect(here.fs.get('/platforms')!.sha256).toBe(sha(`${HOST} linux ${hostArch()} [] ${HOST} ${hostArch()}\n[]\n`));
    expect(here.config.architecture).toBe(hostArch());
    // cross-building: RUN happens on the build platform, the result is for the target
    const arm = await buildText(df, {}, { platform: 'linux/arm/v7' });
    expect(arm.fs.get('/platforms')!.sha256).toBe(sha(`linux/arm/v7 linux arm [v7] ${HOST} ${hostArch()}\n[]\n`));
    expect([arm.config.os, arm.config.architecture, arm.config.variant]).toEqual(['linux', 'arm', 'v7']);
  });

  // where qemu is registered for OTHER there is nothing to refuse: reported as skipped there
  it.skipIf(!!emulatorFor(OTHER.split('/')[1]!))('RUN for a platform this machine cannot run is a clear error (no emulator in binfmt_misc)', async () => {
    await expect(buildText(`FROM --platform=${OTHER} scratch\nRUN true\n`)).rejects.toThrow(
      new RegExp(`Dockerfile:2: RUN true: cannot run ${OTHER} programs on this ${HOST} machine: no emulator for \\S+ is registered in /proc/sys/fs/binfmt_misc`),
    );
    await expect(buildText('FROM --platform=plan9/amd64 scratch\nRUN true\n')).rejects.toThrow(/cannot run plan9\/amd64 programs/);
    await expect(buildText('FROM --platform=linux scratch\n')).rejects.toThrow(/invalid platform "linux": expected os\/arch/);
  });

  it('a local image of another platform is not used for this one', async () => {
    await expect(buildText(`FROM localhost/busybox:latest\nRUN true\n`, {}, { platform: OTHER })).rejects.toThrow(
      new RegExp(`image "localhost/busybox:latest" is ${HOST} in the store and pulling it for ${OTHER} failed`),
    );
  });

  it('binfmt_misc entries are read as the kernel lists them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-binfmt-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'status'), 'enabled\n');
    writeFileSync(join(dir, 'register'), '');
    writeFileSync(join(dir, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c46\n');
    writeFileSync(join(dir, 'qemu-riscv64'), 'disabled\ninterpreter /usr/bin/qemu-riscv64-static\n');
    expect(emulatorFor('arm64', dir)).toBe('qemu-aarch64');
    expect(emulatorFor('riscv64', dir)).toBeUndefined();
    expect(emulatorFor('s390x', dir)).toBeUndefined();
    writeFileSync(join(dir, 'status'), 'disabled\n');
    expect(emulatorFor('arm64', dir)).toBeUndefined();
  });
});
