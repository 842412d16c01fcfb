import type { PortMap } from '../network/types.js';

/**
 * What `containers.create` takes: the body of docker's POST /containers/create (moby's
 * api/swagger.yaml ContainerConfig + HostConfig + NetworkingConfig), with docker's field
 * names, plus the name docker takes as a query parameter. The CLI builds it from flags
 * (main/cli/flags), the Engine API server receives it as JSON; both hand it over as it is.
 *
 * Every field is optional, as in the API. A field the engine does not honour yet must be
 * absent or empty (a client sends zero values for everything): `create` refuses any other
 * value with an INVALID error naming the field (main/engine/container/create-config.ts), so
 * nothing is ever silently ignored. To honour a field, add it to HONOURED below and give it
 * its meaning where the spec is turned into the container (create-config.ts, runtime/spec.ts).
 */
export interface ContainerCreateSpec {
  name?: string;
  Config: CreateConfig;
  HostConfig?: CreateHostConfig;
  NetworkingConfig?: NetworkingConfig;
}

export interface CreateConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  /** KEY=VALUE entries, added to (and overriding by key) the image's */
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean | null;
  Image: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  /** [""] resets the image's entrypoint (what `--entrypoint ""` sends) */
  Entrypoint?: string[] | null;
  NetworkDisabled?: boolean | null;
  MacAddress?: string | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string | null;
  StopTimeout?: number | null;
  Shell?: string[] | null;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface RestartPolicy {
  Name?: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

/** docker's mount.Mount: one `--mount` (HostConfig.Mounts item). */
export interface Mount {
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: BindOptions | null;
  VolumeOptions?: VolumeOptions | null;
  TmpfsOptions?: TmpfsOptions | null;
  ImageOptions?: Record<string, unknown> | null;
  ClusterOptions?: Record<string, unknown> | null;
}

export interface BindOptions {
  Propagation?: string;
  NonRecursive?: boolean;
  CreateMountpoint?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
}

export interface VolumeOptions {
  NoCopy?: boolean;
  Labels?: Record<string, string> | null;
  DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  Subpath?: string;
}

export interface TmpfsOptions {
  /** bytes; 0 = the kernel's default (half of RAM) */
  SizeBytes?: number;
  /** permission bits, e.g. 0o1777 */
  Mode?: number;
  /** extra flags: [["exec"]], [["noexec"]] */
  Options?: string[][] | null;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface CreateHostConfig {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type?: string; Config?: Record<string, string> } | null;
  NetworkMode?: string;
  PortBindings?: PortMap | null;
  RestartPolicy?: RestartPolicy | null;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: Mount[] | null;
  ConsoleSize?: [number, number] | null;
  Annotations?: Record<string, string> | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  /** "name:ip" entries for /etc/hosts; ip may be host-gateway */
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  Isolation?: string;
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  BlkioWeightDevice?: unknown[] | null;
  BlkioDeviceReadBps?: unknown[] | null;
  BlkioDeviceWriteBps?: unknown[] | null;
  BlkioDeviceReadIOps?: unknown[] | null;
  BlkioDeviceWriteIOps?: unknown[] | null;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemoryTCP?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  Init?: boolean | null;
  /** <= 0 (or null) is unlimited */
  PidsLimit?: number | null;
  Ulimits?: Ulimit[] | null;
  CpuCount?: number;
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  DriverOpts?: Record<string, string> | null;
  DNSNames?: string[] | null;
}

export interface NetworkingConfig {
  EndpointsConfig?: Record<string, EndpointSettings> | null;
}

/**
 * The fields `create` gives a meaning to. Anything else must be absent or a zero value
 * (DEFAULTS lists the non-zero values docker clients send for "unset").
 */
export const HONOURED = {
  Config: new Set<keyof CreateConfig>([
    'Hostname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin',
    'StdinOnce', 'Env', 'Cmd', 'Image', 'WorkingDir', 'Entrypoint', 'Labels', 'StopSignal', 'StopTimeout', 'Volumes',
    'Healthcheck', 'Shell',
  ]),
  HostConfig: new Set<keyof CreateHostConfig>([
    'Binds', 'NetworkMode', 'PortBindings', 'PublishAllPorts', 'AutoRemove', 'ExtraHosts', 'Dns', 'DnsSearch',
    'DnsOptions', 'Memory', 'NanoCpus', 'PidsLimit', 'Runtime', 'Mounts', 'Tmpfs', 'VolumesFrom', 'VolumeDriver',
    // the sandbox (runtime/sandbox.ts), the log and the CLI's ID file
    'CapAdd', 'CapDrop', 'SecurityOpt', 'Privileged', 'ReadonlyRootfs', 'Init', 'Ulimits', 'Devices', 'ShmSize',
    'Sysctls', 'IpcMode', 'PidMode', 'UTSMode', 'GroupAdd', 'CpuShares', 'CpusetCpus', 'MemorySwap',
    'MemoryReservation', 'LogConfig', 'ContainerIDFile', 'RestartPolicy',
  ]),
  // each endpoint's own fields are checked by the networks service (aliases and --ip are honoured)
  NetworkingConfig: new Set<keyof NetworkingConfig>(['EndpointsConfig']),
};

/** Values that mean "not set" besides the zero values (what the docker CLI sends by default). */
export const DEFAULTS: Record<string, unknown[]> = {
  'HostConfig.RestartPolicy.Name': ['no'],
  'HostConfig.Isolation': ['default'],
  'HostConfig.CgroupnsMode': ['private'],
  'HostConfig.IpcMode': ['private', 'shareable'],
  'HostConfig.MemorySwappiness': [-1],
  'HostConfig.LogConfig.Type': ['json-file', 'k8s-file'],
  'Config.ArgsEscaped': [true],
};
