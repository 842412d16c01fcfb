import { imagesTable } from '../store/tables/images.js';
import { displayState } from './containers.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import type { Engine } from '../engine.js';
import { chooseDriver } from '../mount/probe.js';
import { runcPath } from '../runtime/runc.js';
import { hostArch } from '../image/types.js';
import { rootlessSummary } from '../rootless/summary.js';

/** Slipway's own version: the one `slipway --version` and the Engine API's /version report. */
export const SLIPWAY_VERSION = '0.1.0';

function firstLine(bin: string, args: string[]): string | undefined {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : undefined;
}

/** `runc version 1.1.5+ds1` -> 1.1.5+ds1 */
function toolVersion(bin: string): string | undefined {
  return firstLine(bin, ['--version'])?.replace(/^\S+ version /, '');
}

function osRelease(): { name: string; version: string } {
  try {
    const t = readFileSync('/etc/os-release', 'utf8');
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(t)?.[1] ?? '';
    return { name: get('PRETTY_NAME') || 'linux', version: get('VERSION_ID') };
  } catch {
    return { name: 'linux', version: '' };
  }
}

function cgroupVersion(): '1' | '2' {
  return spawnSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() === 'cgroup2fs' ? '2' : '1';
}

/** The host's uname -m name, as docker info's Architecture (x86_64, aarch64). */
function machine(): string {
  return firstLine('uname', ['-m']) ?? hostArch();
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** The runtime and monitor this engine runs containers with, and their versions. */
export function componentVersions(): { runc: { path: string; version: string }; conmon: string } {
  let path = 'runc';
  try {
    path = runcPath();
  } catch {
    return { runc: { path: 'runc', version: 'not found' }, conmon: toolVersion('conmon') ?? 'not found' };
  }
  return { runc: { path, version: toolVersion(path) ?? 'not found' }, conmon: toolVersion('conmon') ?? 'not found' };
}

/**
 * What `slipway info` and the Engine API's /info show: docker's Info shape (the fields docker's
 * clients read), plus Slipway's own (DriverReason, Monitor, Rootless*, DefaultNetwork).
 */
export async function systemInfo(engine: Engine) {
  const containers = await engine.containers.list({ all: true });
  const by = (s: string) => containers.filter((c) => displayState(c) === s).length;
  const images = imagesTable.count(engine.store.db);
  const driver = await chooseDriver(engine.store.paths.root);
  const tools = componentVersions();
  const os = osRelease();
  const rootless = rootlessSummary();
  return {
    ID: '',
    Containers: containers.length,
    ContainersRunning: by('running'),
    ContainersPaused: by('paused'),
    ContainersStopped: by('exited') + by('created'),
    Images: images,
    Driver: driver.driver,
    DriverReason: driver.reason,
    DriverStatus: [['Why', driver.reason]] as string[][],
    DockerRootDir: engine.store.paths.root,
    Plugins: { Volume: ['local'], Network: ['pasta', 'host', 'none'], Authorization: null, Log: ['json-file', 'k8s-file'] },
    MemoryLimit: true,
    SwapLimit: false,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: true,
    OomKillDisable: false,
    IPv4Forwarding: true,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cgroupVersion(),
    NEventsListener: 0,
    KernelVersion: release(),
    OperatingSystem: os.name,
    OSVersion: os.version,
    OSType: 'linux',
    Architecture: machine(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    GenericResources: null,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: hostname(),
    Labels: [] as string[],
    ExperimentalBuild: false,
    ServerVersion: SLIPWAY_VERSION,
    Runtimes: { runc: { path: tools.runc.path } },
    DefaultRuntime: 'runc',
    Runtime: `${tools.runc.path} (${tools.runc.version})`,
    Monitor: `conmon (${tools.conmon})`,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: tools.runc.version, Expected: tools.runc.version },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ['name=seccomp,profile=default', 'name=no-new-privileges', ...(rootless.Rootless ? ['name=rootless'] : [])],
    Warnings: null as string[] | null,
    ...rootless,
    DefaultNetwork: 'pasta (an own network namespace with outbound access and -p; --network none or host otherwise)',
  };
}

export type SystemInfo = Awaited<ReturnType<typeof systemInfo>>;

/** docker's /version: the engine and the components it runs. */
export function systemVersion(apiVersion: string, minApiVersion: string) {
  const tools = componentVersions();
  const arch = hostArch();
  const details = { ApiVersion: apiVersion, Arch: arch, BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node ${process.version}`, KernelVersion: release(), MinAPIVersion: minApiVersion, Os: 'linux' };
  const components: ComponentVersion[] = [
    { Name: 'Engine', Version: SLIPWAY_VERSION, Details: details },
    { Name: 'runc', Version: tools.runc.version, Details: { GitCommit: '' } },
    { Name: 'conmon', Version: tools.conmon, Details: { GitCommit: '' } },
  ];
  return {
    Platform: { Name: 'Slipway' },
    Components: components,
    Version: SLIPWAY_VERSION,
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: arch,
    KernelVersion: release(),
    BuildTime: '',
  };
}
