import type { ImageConfig } from '../image/types.js';
import type { DriverName } from '../mount/driver.js';
import type { ContainerConfig, ContainerSpec, HostConfig } from './types.js';
import { DEFAULTS, HONOURED, type ContainerCreateSpec } from '../model/container-spec.js';
import { InvalidArgumentError, EngineError, ErrorCode } from '../model/errors.js';
import { parseSignal } from '../runtime/signals.js';
import { exposedWithPublished, networkHostConfig } from '../network/options.js';
import { isRootless } from '../rootless/detect.js';
import { assertLimitsAllowed } from '../rootless/cgroups.js';
import { resolveSandbox, type SandboxHostConfig } from '../runtime/sandbox.js';
import type { LogConfig } from './types.js';
import { checkRestartPolicy } from './restart-policy.js';
import { mergeHealthcheck } from './health.js';

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

/** Is this value "not set": absent, a zero value, or one of the defaults clients send? */
function unset(v: unknown, path: string): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (DEFAULTS[path]?.includes(v)) return true;
  if (Array.isArray(v)) return v.every((x, i) => unset(x, `${path}.${i}`));
  if (typeof v === 'object') return Object.entries(v as object).every(([k, x]) => unset(x, `${path}.${k}`));
  return false;
}

/** Refuse (never ignore) what a client asked for that this engine does not do yet. */
function refuseUnhonoured(spec: ContainerCreateSpec): void {
  const parts = [
    ['Config', spec.Config],
    ['HostConfig', spec.HostConfig],
    ['NetworkingConfig', spec.NetworkingConfig],
  ] as const;
  for (const [part, obj] of parts) {
    if (obj === undefined || obj === null) continue;
    if (typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidArgumentError(`${part} must be an object`);
    const honoured = HONOURED[part] as Set<string>;
    for (const [k, v] of Object.entries(obj)) {
      if (!honoured.has(k) && !unset(v, `${part}.${k}`)) {
        throw new InvalidArgumentError(`${part}.${k} is not supported by Slipway yet: leave it out (got ${JSON.stringify(v).slice(0, 80)})`);
      }
    }
  }
}

function stringList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(`${field} must be a list of strings`);
  return v as string[];
}

/**
 * docker's create: the image's config + the create spec -> the container's Config and
 * HostConfig, and the command it will run (Path + Args). An Entrypoint in the spec drops the
 * image's Cmd ([""] drops the image's Entrypoint too); a Cmd in the spec replaces the image's.
 * Everything is validated here, before anything is created, whoever sent the spec.
 */
export function containerSpec(spec: ContainerCreateSpec, img: ImageConfig, id: string, driver: DriverName): ContainerSpec {
  refuseUnhonoured(spec);
  const c = spec.Config;
  const h = spec.HostConfig ?? {};
  const ic = img.config ?? {};
  let entrypoint: string[] | null = ic.Entrypoint ?? null;
  let cmd: string[] | null = ic.Cmd ?? null;
  const userEntrypoint = stringList(c.Entrypoint, 'Config.Entrypoint');
  if (userEntrypoint.length) {
    entrypoint = userEntrypoint.length === 1 && userEntrypoint[0] === '' ? null : userEntrypoint;
    cmd = null;
  }
  const userCmd = stringList(c.Cmd, 'Config.Cmd');
  if (userCmd.length) cmd = userCmd;
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (!argv.length) throw new EngineError(ErrorCode.INVALID, 'No command specified: give a command after the image name or use an image with CMD/ENTRYPOINT');
  const workdir = c.WorkingDir || ic.WorkingDir || '';
  if (workdir && !workdir.startsWith('/')) throw new InvalidArgumentError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  if (h.Runtime && h.Runtime !== 'runc') throw new InvalidArgumentError(`unknown runtime specified ${h.Runtime}: Slipway runs containers with runc`);
  const net = networkHostConfig(h);
  const labels: Record<string, string> = { ...(ic.Labels ?? {}), ...(c.Labels ?? {}) };
  if (c.StopSignal) parseSignal(c.StopSignal);
  // Binds, Mounts, Tmpfs, VolumesFrom and Volumes are checked by the volume service's planMounts
  const binds = stringList(h.Binds, 'HostConfig.Binds');
  if (c.Volumes !== undefined && c.Volumes !== null && (typeof c.Volumes !== 'object' || Array.isArray(c.Volumes))) throw new InvalidArgumentError('Config.Volumes must map container paths to {}');
  const volumes = { ...(ic.Volumes ?? {}), ...(c.Volumes ?? {}) };
  const userEnv = stringList(c.Env, 'Config.Env');
  for (const e of userEnv) if (!e.includes('=')) throw new InvalidArgumentError(`invalid environment entry "${e}": use KEY=VALUE`);
  const env = mergeEnv(ic.Env ?? [], userEnv);
  const healthcheck = mergeHealthcheck(c.Healthcheck, ic.Healthcheck);
  const userShell = stringList(c.Shell, 'Config.Shell');
  const shell = userShell.length ? userShell : ic.Shell ?? [];
  const config: ContainerConfig = {
    Hostname: c.Hostname || id.slice(0, 12),
    Domainname: '',
    User: c.User || ic.User || '',
    AttachStdin: !!c.AttachStdin,
    AttachStdout: !!c.AttachStdout,
    AttachStderr: !!c.AttachStderr,
    Tty: !!c.Tty,
    OpenStdin: !!c.OpenStdin,
    StdinOnce: !!c.StdinOnce,
    Env: env,
    Cmd: cmd,
    Image: c.Image,
    Volumes: Object.keys(volumes).length ? volumes : null,
    WorkingDir: workdir,
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(c.StopSignal || ic.StopSignal ? { StopSignal: c.StopSignal || ic.StopSignal } : {}),
    ...(typeof c.StopTimeout === 'number' ? { StopTimeout: c.StopTimeout } : {}),
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(shell.length ? { Shell: shell } : {}),
    ...exposedWithPublished({ ...(ic.ExposedPorts ?? {}), ...(c.ExposedPorts ?? {}) }, net.PortBindings),
  };
  const pids = h.PidsLimit;
  const hostConfig: HostConfig = {
    Binds: binds.length ? binds : null,
    Mounts: h.Mounts?.length ? h.Mounts : null,
    Tmpfs: h.Tmpfs && Object.keys(h.Tmpfs).length ? h.Tmpfs : null,
    VolumesFrom: h.VolumesFrom?.length ? h.VolumesFrom : null,
    VolumeDriver: h.VolumeDriver ?? '',
    ...net,
    Memory: nonNegative(h.Memory, 'HostConfig.Memory'),
    NanoCpus: nonNegative(h.NanoCpus, 'HostConfig.NanoCpus'),
    PidsLimit: pids && pids > 0 ? pids : null,
    AutoRemove: !!h.AutoRemove,
    RestartPolicy: checkRestartPolicy(h.RestartPolicy, !!h.AutoRemove),
    Runtime: 'runc',
    ...sandboxFields(h),
    LogConfig: checkLogConfig(h.LogConfig),
    ...(h.ContainerIDFile ? { ContainerIDFile: h.ContainerIDFile } : {}),
  };
  // As docker's daemon: swap defaults to as much again as the memory limit.
  if (hostConfig.Memory > 0 && !hostConfig.MemorySwap) hostConfig.MemorySwap = hostConfig.Memory * 2;
  // Everything the runtime will be asked for is checked now, before the container exists.
  resolveSandbox(hostConfig, { hostNet: hostConfig.NetworkMode === 'host' });
  if (isRootless()) assertLimitsAllowed({ memory: hostConfig.Memory, nanoCpus: hostConfig.NanoCpus, pidsLimit: hostConfig.PidsLimit });
  return { config, hostConfig, path: argv[0]!, args: argv.slice(1), driver };
}

function nonNegative(v: number | undefined, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${field} must be a number of 0 or more`);
  return Math.round(v);
}

/** The sandbox fields of docker's HostConfig the spec sets (unset ones stay out: docker's defaults). */
const SANDBOX_FIELDS = [
  'CapAdd', 'CapDrop', 'SecurityOpt', 'Privileged', 'ReadonlyRootfs', 'Init', 'Ulimits', 'Devices', 'ShmSize', 'Sysctls',
  'IpcMode', 'PidMode', 'UTSMode', 'GroupAdd', 'CpuShares', 'CpusetCpus', 'MemorySwap', 'MemoryReservation',
] as const satisfies readonly (keyof SandboxHostConfig)[];

function sandboxFields(h: NonNullable<ContainerCreateSpec['HostConfig']>): SandboxHostConfig {
  const out: Record<string, unknown> = {};
  for (const k of SANDBOX_FIELDS) {
    const v = h[k];
    if (v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out as SandboxHostConfig;
}

/** Decimal sizes as docker's json-file driver reads max-size (units.FromHumanSize: 10m = 10,000,000). */
function humanSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[m[2]!.toLowerCase() as 'k'];
  return Math.round(Number(m[1]) * mult);
}

/**
 * HostConfig.LogConfig: conmon writes the k8s-file log and truncates it at max-size
 * (--log-size-max). Debian's conmon (2.1) keeps no older files, so max-file can only be 1.
 * The type is reported as docker's default, json-file, unless k8s-file was asked for: clients
 * decide from it whether `logs` can be read (docker-py's containers.run returns None for any
 * other driver), and our logs are read through the same endpoint whatever the file format.
 */
export function checkLogConfig(c: { Type?: string; Config?: Record<string, string> } | null | undefined): LogConfig {
  const type = c?.Type || 'json-file';
  if (type !== 'k8s-file' && type !== 'json-file') throw new InvalidArgumentError(`log driver ${type} is not supported: Slipway logs through conmon's k8s-file`);
  const cfg = { ...(c?.Config ?? {}) };
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'max-size') {
      const n = humanSize(v);
      if (n === undefined || n <= 0) throw new InvalidArgumentError(`failed to initialize logging driver: invalid size: '${v}'`);
    } else if (k === 'max-file') {
      if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`failed to initialize logging driver: strconv.Atoi: parsing "${v}": invalid syntax`);
      if (Number(v) < 1) throw new InvalidArgumentError('failed to initialize logging driver: max-file cannot be less than 1');
      if (Number(v) > 1) throw new InvalidArgumentError(`failed to initialize logging driver: max-file=${v}: conmon keeps a single log file (truncated at max-size), so max-file can only be 1`);
    } else throw new InvalidArgumentError(`unknown log opt '${k}' for ${type} log driver`);
  }
  return { Type: type, Config: cfg };
}

/** LogConfig max-size in bytes for conmon's --log-size-max, or undefined for no limit. */
export function logSizeMax(c: LogConfig | undefined): number | undefined {
  const v = c?.Config['max-size'];
  return v === undefined ? undefined : humanSize(v);
}

/**
 * What create can refuse before it even looks at the image: a field it does not honour, a bad
 * sandbox setting, log option or stop signal. So a bad flag never pulls or creates anything.
 */
export function preflight(spec: ContainerCreateSpec): void {
  refuseUnhonoured(spec);
  const h = spec.HostConfig ?? {};
  const memory = nonNegative(h.Memory, 'HostConfig.Memory');
  resolveSandbox({ ...sandboxFields(h), Memory: memory }, { hostNet: h.NetworkMode === 'host' });
  checkLogConfig(h.LogConfig);
  if (spec.Config?.StopSignal) parseSignal(spec.Config.StopSignal);
  if (spec.Config?.Healthcheck) mergeHealthcheck(spec.Config.Healthcheck, undefined);
}
