import { EngineError, ErrorCode, parseGoDuration, parseRestartFlag, type ContainerCreateSpec, type HealthConfig } from '../../engine/index.js';
import { expandEnv, labelMap, readEnvFile } from './env.js';
import { portBindings } from './publish.js';
import { parseBytes, parseCpus } from './units.js';
import { exposeKeys, logConfig, sandboxHostConfig, type SandboxFlags } from './sandbox.js';
import { parseMountFlag, splitVolumeFlags, tmpfsFlags } from './mount.js';

/** run/create's flags as commander hands them over. */
export interface CreateFlags extends SandboxFlags {
  name?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  entrypoint?: string;
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  volumesFrom?: string[];
  network?: string;
  net?: string;
  networkAlias?: string[];
  ip?: string;
  publish?: string[];
  publishAll?: boolean;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  memory?: string;
  cpus?: string;
  pidsLimit?: number;
  label?: string[];
  stopSignal?: string;
  stopTimeout?: number;
  rm?: boolean;
  restart?: string;
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  /** -a STDIN|STDOUT|STDERR (repeatable) */
  attach?: string[];
  cidfile?: string;
  expose?: string[];
  pull?: string;
  platform?: string;
  logOpt?: string[];
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: number;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  /** false for --no-healthcheck (commander's --no- form) */
  healthcheck?: boolean;
}

/** A duration flag as Go's flag package reads it (time.ParseDuration), in nanoseconds. */
function durationFlag(v: string | undefined, flag: string): number {
  if (v === undefined) return 0;
  const neg = v.startsWith('-');
  const body = neg || v.startsWith('+') ? v.slice(1) : v;
  const ms = body === '0' ? 0 : parseGoDuration(body);
  if (ms === undefined) throw new EngineError(ErrorCode.INVALID, `invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  if (neg && ms > 0) throw new EngineError(ErrorCode.INVALID, `--${flag} cannot be negative`);
  return Math.round(ms * 1e6);
}

/** docker's CLI (opts.go): the --health-* flags -> Config.Healthcheck; --no-healthcheck -> Test ["NONE"]. */
function healthConfig(o: CreateFlags): HealthConfig | undefined {
  const interval = durationFlag(o.healthInterval, 'health-interval');
  const timeout = durationFlag(o.healthTimeout, 'health-timeout');
  const startPeriod = durationFlag(o.healthStartPeriod, 'health-start-period');
  const startInterval = durationFlag(o.healthStartInterval, 'health-start-interval');
  const retries = o.healthRetries ?? 0;
  const any = !!o.healthCmd || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (o.healthcheck === false) {
    if (any) throw new EngineError(ErrorCode.INVALID, '--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  if (retries < 0) throw new EngineError(ErrorCode.INVALID, '--health-retries cannot be negative');
  return {
    ...(o.healthCmd ? { Test: ['CMD-SHELL', o.healthCmd] } : {}),
    Interval: interval,
    Timeout: timeout,
    StartPeriod: startPeriod,
    StartInterval: startInterval,
    Retries: retries,
  };
}

/** docker's -a/--attach values: STDIN, STDOUT, STDERR in any case. */
function attachStreams(list: string[] | undefined): ('stdin' | 'stdout' | 'stderr')[] | undefined {
  if (!list?.length) return undefined;
  return list.map((v) => {
    const s = v.toLowerCase();
    if (s !== 'stdin' && s !== 'stdout' && s !== 'stderr') {
      throw new EngineError(ErrorCode.INVALID, `invalid argument "${v}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
    }
    return s;
  });
}

/**
 * Flags -> the engine's typed spec, as docker's CLI turns flags into Config + HostConfig
 * (cli/command/container/opts.go): sizes, env files, labels and -p are parsed here; the
 * engine validates the result (binds, network mode, ports, hosts, dns) whoever sent it.
 */
export function createSpec(image: string, cmd: string[], o: CreateFlags): ContainerCreateSpec {
  const ports = portBindings(o.publish ?? []);
  // As docker's CLI: without -a, stdout and stderr; -i attaches stdin too; StdinOnce only
  // when stdin is attached at run (so `run -di` keeps stdin open across attaches).
  const attach = !o.detach;
  const streams = attachStreams(o.attach);
  const attachStdin = attach && (!!o.interactive || !!streams?.includes('stdin'));
  const network = o.network ?? o.net ?? '';
  // --network-alias and --ip are the endpoint's settings on that network, as docker's CLI sends them
  const endpoint = {
    ...(o.networkAlias?.length ? { Aliases: o.networkAlias } : {}),
    ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}),
  };
  const { binds, volumes } = splitVolumeFlags(o.volume ?? []);
  const mounts = (o.mount ?? []).map(parseMountFlag);
  const tmpfs = tmpfsFlags(o.tmpfs ?? []);
  const health = healthConfig(o);
  return {
    ...(o.name !== undefined ? { name: o.name } : {}),
    Config: {
      Image: image,
      Cmd: cmd.length ? cmd : null,
      // --entrypoint "" resets the image's entrypoint: docker sends [""] for it
      Entrypoint: o.entrypoint !== undefined ? [o.entrypoint] : null,
      Env: [...(o.envFile ?? []).flatMap((f) => expandEnv(readEnvFile(f))), ...expandEnv(o.env ?? [])],
      WorkingDir: o.workdir ?? '',
      User: o.user ?? '',
      Hostname: o.hostname ?? '',
      Labels: labelMap(o.label ?? []),
      ExposedPorts: Object.fromEntries([...(exposeKeys(o.expose) ?? []), ...Object.keys(ports)].map((k) => [k, {}])),
      ...(o.stopSignal !== undefined ? { StopSignal: o.stopSignal } : {}),
      ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
      Volumes: Object.keys(volumes).length ? volumes : null,
      ...(health ? { Healthcheck: health } : {}),
      Tty: !!o.tty,
      OpenStdin: !!o.interactive,
      StdinOnce: !!o.interactive && attachStdin,
      AttachStdin: attachStdin,
      AttachStdout: attach && (streams?.includes('stdout') ?? true),
      AttachStderr: attach && (streams?.includes('stderr') ?? true),
    },
    HostConfig: {
      Binds: binds.length ? binds : null,
      Mounts: mounts.length ? mounts : null,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : null,
      VolumesFrom: o.volumesFrom?.length ? o.volumesFrom : null,
      NetworkMode: network,
      PortBindings: ports,
      PublishAllPorts: !!o.publishAll,
      ExtraHosts: o.addHost?.length ? o.addHost : null,
      Dns: o.dns ?? [],
      DnsSearch: o.dnsSearch ?? [],
      DnsOptions: o.dnsOption ?? [],
      Memory: parseBytes(o.memory),
      NanoCpus: parseCpus(o.cpus),
      PidsLimit: o.pidsLimit ?? null,
      AutoRemove: !!o.rm,
      ...(o.restart ? { RestartPolicy: parseRestartFlag(o.restart) } : {}),
      ...sandboxHostConfig(o),
      ...(o.logOpt?.length ? { LogConfig: logConfig(o.logOpt) } : {}),
      ...(o.cidfile ? { ContainerIDFile: o.cidfile } : {}),
    },
    ...(Object.keys(endpoint).length ? { NetworkingConfig: { EndpointsConfig: { [network || 'default']: endpoint } } } : {}),
  };
}
