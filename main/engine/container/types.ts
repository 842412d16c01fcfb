import type { DriverName } from '../mount/driver.js';
import type { SandboxHostConfig } from '../runtime/sandbox.js';
import type { Mount } from '../model/container-spec.js';
import type { MountPoint } from '../volume/types.js';

/** Docker's container Config (what `inspect .Config` shows), as this container was created. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  ExposedPorts?: Record<string, object>;
  /** the image's merged with the create's (container/health.ts); absent when neither has one */
  Healthcheck?: import('../model/container-spec.js').HealthConfig;
  /** the create's or the image's SHELL: what a CMD-SHELL healthcheck runs in (docker's default /bin/sh -c) */
  Shell?: string[];
}

/** docker's LogConfig: the log is conmon's k8s-file, reported as json-file (docker's default) unless k8s-file was asked for; max-size (and max-file 1) are honoured. */
export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

export interface HostConfig extends SandboxHostConfig {
  Binds: string[] | null;
  NetworkMode: string;
  Memory: number;
  NanoCpus: number;
  /** set only by `update --cpu-quota/--cpu-period` (create takes --cpus as NanoCpus) */
  CpuQuota?: number;
  CpuPeriod?: number;
  PidsLimit: number | null;
  AutoRemove: boolean;
  /** absent in containers made before restart policies (= no) */
  RestartPolicy?: import('./restart-policy.js').Policy;
  Runtime: string;
  // the network fields (main/engine/network): absent in containers made before networking
  PortBindings?: import('../network/types.js').PortMap;
  PublishAllPorts?: boolean;
  ExtraHosts?: string[] | null;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  LogConfig?: LogConfig;
  ContainerIDFile?: string;
  // the volume fields (main/engine/volume): absent in containers made before volumes
  Mounts?: Mount[] | null;
  Tmpfs?: Record<string, string> | null;
  VolumesFrom?: string[] | null;
  VolumeDriver?: string;
}

/** Everything `create` decided, stored as JSON in containers.spec. */
export interface ContainerSpec {
  config: ContainerConfig;
  hostConfig: HostConfig;
  path: string;
  args: string[];
  driver: DriverName;
  /** volumes, binds and tmpfs mounts as create resolved them (absent before volumes: then Binds says it) */
  mounts?: MountPoint[];
}

/** 'exiting' is internal: the exit is being recorded and the rootfs torn down (shown as exited). */
export type ContainerState = 'created' | 'running' | 'paused' | 'exiting' | 'exited' | 'dead';

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string;
  imageRef: string;
  created: string;
  spec: ContainerSpec;
  state: ContainerState;
  pid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  stoppedByUser: boolean;
  oomKilled: boolean;
  restartCount: number;
  error: string;
  /** State.Health (container_health), filled in by the manager's get/list for containers with a healthcheck */
  health?: import('../store/tables/container-health.js').HealthRecord;
}

export interface ContainerRow {
  id: string;
  name: string;
  image_id: string;
  image_ref: string;
  created: string;
  spec: string;
  state: string;
  pid: number;
  exit_code: number;
  started_at: string;
  finished_at: string;
  stopped_by_user: number;
  oom_killed: number;
  restart_count: number;
  error: string;
}

export function fromRow(r: ContainerRow): ContainerRecord {
  return {
    id: r.id,
    name: r.name,
    imageId: r.image_id,
    imageRef: r.image_ref,
    created: r.created,
    spec: JSON.parse(r.spec) as ContainerSpec,
    state: r.state as ContainerState,
    pid: r.pid,
    exitCode: r.exit_code,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    stoppedByUser: !!r.stopped_by_user,
    oomKilled: !!r.oom_killed,
    restartCount: r.restart_count,
    error: r.error,
  };
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';
