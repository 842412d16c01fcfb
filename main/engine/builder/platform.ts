import { readdirSync, readFileSync } from 'node:fs';
import { EngineError, ErrorCode } from '../model/errors.js';
import { defaultPlatform, formatPlatform, parsePlatform, type Platform } from '../registry/manifest.js';

/**
 * Build and target platforms (BuildKit's BUILDPLATFORM / TARGETPLATFORM): the build platform
 * is this machine; the target is `build --platform` (default: this machine). A RUN for another
 * platform needs an emulator registered in binfmt_misc (qemu-user-static), or it cannot run.
 */
export { formatPlatform, parsePlatform };
export type { Platform };

export function hostPlatform(): Platform {
  return defaultPlatform();
}

/** `linux/arm64` and `linux/arm64/v8` name one platform; `arm` means v7. */
export function samePlatform(a: Platform, b: Platform): boolean {
  const v = (p: Platform) => (p.architecture === 'arm64' && p.variant === 'v8' ? undefined : p.architecture === 'arm' && !p.variant ? 'v7' : p.variant);
  return a.os === b.os && a.architecture === b.architecture && v(a) === v(b);
}

/** The automatic platform ARGs (global scope; a stage must declare them to see them). */
export function platformArgs(target: Platform, build: Platform = hostPlatform()): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)], ['TARGETOS', target.os], ['TARGETARCH', target.architecture], ['TARGETVARIANT', target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(build)], ['BUILDOS', build.os], ['BUILDARCH', build.architecture], ['BUILDVARIANT', build.variant ?? ''],
  ]);
}

/** qemu's names for docker's architectures (binfmt_misc entries are qemu-<name>). */
const QEMU: Record<string, string> = { arm64: 'aarch64', arm: 'arm', amd64: 'x86_64', '386': 'i386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64le: 'mips64el', mips64: 'mips64' };

/** The enabled binfmt_misc entry that runs this architecture's binaries, if any. */
export function emulatorFor(arch: string, dir = '/proc/sys/fs/binfmt_misc'): string | undefined {
  const q = QEMU[arch] ?? arch;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n !== 'register' && n !== 'status');
    if (readFileSync(`${dir}/status`, 'utf8').trim() !== 'enabled') return undefined;
  } catch {
    return undefined;
  }
  for (const n of names) {
    let text: string;
    try {
      text = readFileSync(`${dir}/${n}`, 'utf8');
    } catch {
      continue;
    }
    if (!text.startsWith('enabled')) continue;
    const interp = /^interpreter (.*)$/m.exec(text)?.[1] ?? '';
    if (n === `qemu-${q}` || new RegExp(`qemu-${q}(-static)?$`).test(interp)) return n;
  }
  return undefined;
}

/** Can this machine run `p`'s binaries (natively, or through a registered emulator)? */
export function checkRunnable(p: Platform): void {
  const host = hostPlatform();
  if (p.os !== 'linux') throw new EngineError(ErrorCode.INVALID, `cannot run ${formatPlatform(p)} programs on ${formatPlatform(host)}: only linux images can RUN here`);
  if (samePlatform(p, host) || (host.architecture === 'amd64' && p.architecture === '386')) return;
  if (emulatorFor(p.architecture)) return;
  throw new EngineError(
    ErrorCode.INVALID,
    `cannot run ${formatPlatform(p)} programs on this ${formatPlatform(host)} machine: no emulator for ${p.architecture} is registered in /proc/sys/fs/binfmt_misc (install qemu-user-static and binfmt-support), or RUN on the build platform with FROM --platform=$BUILDPLATFORM`,
  );
}
