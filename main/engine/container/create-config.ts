import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ImageConfig } from '../image/types.js';
import type { DriverName } from '../mount/driver.js';
import type { ContainerConfig, ContainerSpec, CreateOptions, HostConfig } from './types.js';
import { InvalidArgumentError, EngineError, ErrorCode } from '../model/errors.js';
import { parseSignal } from '../runtime/signals.js';
import { exposedWithPublished, networkHostConfig } from '../network/options.js';
import { isRootless } from '../rootless/detect.js';
import { assertLimitsAllowed } from '../rootless/cgroups.js';

/** docker's RAM units: 512m, 1g, 1024k, plain bytes. */
export function parseBytes(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${v}': use a number with an optional unit (b, k, m, g)`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * mult);
}

export function parseCpus(v: string | number | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`invalid argument "${v}" for "--cpus" flag: use a number such as 1.5`);
  return Math.round(n * 1e9);
}

/** -e KEY=VAL, or -e KEY to copy the caller's value (dropped when unset), as docker. */
function expandEnv(list: string[]): string[] {
  const out: string[] = [];
  for (const e of list) {
    if (e.includes('=')) out.push(e);
    else if (process.env[e] !== undefined) out.push(`${e}=${process.env[e]}`);
  }
  return out;
}

function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`open ${path}: no such file or directory`);
  }
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'));
}

/** Later entries win by key; order of first appearance is kept. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const keyOf = (e: string) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  const out = [...base];
  for (const e of over) {
    const i = out.findIndex((x) => keyOf(x) === keyOf(e));
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/** -v HOST:CTR[:ro|rw]; HOST must be absolute (named volumes are not supported yet). */
export function parseBind(v: string): { source: string; destination: string; readonly: boolean } {
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3) throw new InvalidArgumentError(`invalid volume specification: '${v}': use HOST:CONTAINER[:ro]`);
  const [src, dst, mode = 'rw'] = parts as [string, string, string?];
  if (!isAbsolute(src) && !src.startsWith('.')) throw new InvalidArgumentError(`invalid volume specification: '${v}': named volumes are not supported; give an absolute host path`);
  if (!isAbsolute(dst)) throw new InvalidArgumentError(`invalid volume specification: '${v}': mount path must be absolute`);
  const opts = mode.split(',');
  if (!opts.every((o) => ['ro', 'rw', 'z', 'Z'].includes(o))) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { source: resolve(src), destination: dst, readonly: opts.includes('ro') };
}

/**
 * docker's create: image config + flags -> the container's Config and HostConfig, and the
 * command it will run (Path + Args). Entrypoint given on the command line drops the image's
 * Cmd; args after the image replace Cmd.
 */
export function containerSpec(o: CreateOptions, img: ImageConfig, id: string, driver: DriverName): ContainerSpec {
  const ic = img.config ?? {};
  let entrypoint: string[] | null = ic.Entrypoint ?? null;
  let cmd: string[] | null = ic.Cmd ?? null;
  if (o.entrypoint !== undefined) {
    entrypoint = o.entrypoint === '' ? null : [o.entrypoint];
    cmd = null;
  }
  if (o.cmd && o.cmd.length) cmd = o.cmd;
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (!argv.length) throw new EngineError(ErrorCode.INVALID, 'No command specified: give a command after the image name or use an image with CMD/ENTRYPOINT');
  const workdir = o.workdir ?? ic.WorkingDir ?? '';
  if (workdir && !workdir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  const net = networkHostConfig(o);
  const labels: Record<string, string> = { ...(ic.Labels ?? {}) };
  for (const l of o.labels ?? []) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  if (o.stopSignal) parseSignal(o.stopSignal);
  for (const v of o.volumes ?? []) parseBind(v);
  const env = mergeEnv(ic.Env ?? [], [...(o.envFiles ?? []).flatMap((f) => expandEnv(readEnvFile(f))), ...expandEnv(o.env ?? [])]);
  const hostname = o.hostname ?? id.slice(0, 12);
  const config: ContainerConfig = {
    Hostname: hostname,
    Domainname: '',
    User: o.user ?? ic.User ?? '',
    AttachStdin: !!o.interactive,
    AttachStdout: !!o.attach,
    AttachStderr: !!o.attach,
    Tty: !!o.tty,
    OpenStdin: !!o.interactive,
    StdinOnce: !!o.interactive,
    Env: env,
    Cmd: cmd,
    Image: o.image,
    Volumes: ic.Volumes ?? null,
    WorkingDir: workdir,
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(o.stopSignal ?? ic.StopSignal ? { StopSignal: o.stopSignal ?? ic.StopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
    ...exposedWithPublished(ic.ExposedPorts, net.PortBindings),
  };
  const pids = o.pidsLimit;
  const hostConfig: HostConfig = {
    Binds: o.volumes?.length ? o.volumes : null,
    ...net,
    Memory: parseBytes(o.memory),
    NanoCpus: parseCpus(o.cpus),
    PidsLimit: pids && pids > 0 ? pids : null,
    AutoRemove: !!o.autoRemove,
    Runtime: 'runc',
  };
  if (isRootless()) assertLimitsAllowed({ memory: hostConfig.Memory, nanoCpus: hostConfig.NanoCpus, pidsLimit: hostConfig.PidsLimit });
  return { config, hostConfig, path: argv[0]!, args: argv.slice(1), driver };
}
