import { displayState } from '../views/containers.js';
import type { Engine } from '../engine.js';
import { inspectMounts } from '../volume/mount-points.js';
import { containerFiles } from './bundle.js';
import type { ContainerRecord } from './types.js';
import { inspectNetwork } from '../network/ports-view.js';
import type { HostConfig } from './types.js';
import { restartPending } from './restart-policy.js';
import { DEFAULT_SHM_SIZE, MASKED_PATHS, READONLY_PATHS } from '../runtime/spec.js';

/** docker inspect's container JSON (the fields scripts read). */
export function inspectContainer(engine: Engine, rec: ContainerRecord): Record<string, unknown> {
  const net = inspectNetwork(engine.store.paths.root, rec, engine.networks.containerEndpoints(rec));
  const f = containerFiles(engine.store.paths.root, rec.id);
  const h = rec.spec.hostConfig;
  const state = displayState(rec);
  const lowers = engine.images.get(rec.imageId)?.layers.map((l) => engine.images.snapshots.path(l.chainId)).reverse() ?? [];
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.spec.path,
    Args: rec.spec.args,
    State: {
      Status: restartPending(rec) ? 'restarting' : state,
      Running: state === 'running' || state === 'paused',
      Paused: state === 'paused',
      Restarting: restartPending(rec),
      OOMKilled: rec.oomKilled,
      Dead: state === 'dead',
      Pid: state === 'running' || state === 'paused' ? rec.pid : 0,
      ExitCode: rec.exitCode,
      Error: rec.error,
      StartedAt: rec.startedAt,
      FinishedAt: rec.finishedAt,
      ...(rec.health ? { Health: { Status: rec.health.Status, FailingStreak: rec.health.FailingStreak, Log: rec.health.Log } } : {}),
    },
    Image: rec.imageId,
    ResolvConfPath: `${f.dir}/resolv.conf`,
    HostnamePath: `${f.dir}/hostname`,
    HostsPath: `${f.dir}/hosts`,
    LogPath: f.log,
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: rec.spec.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: h.Binds,
      Mounts: h.Mounts ?? null,
      Tmpfs: h.Tmpfs ?? null,
      VolumesFrom: h.VolumesFrom ?? null,
      VolumeDriver: h.VolumeDriver ?? '',
      ...net.hostConfig,
      RestartPolicy: h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 },
      // conmon's k8s-file log reads as docker's json-file does (SDKs read logs only for those)
      LogConfig: { Type: 'json-file', Config: {} },
      AutoRemove: h.AutoRemove,
      Memory: h.Memory,
      NanoCpus: h.NanoCpus,
      PidsLimit: h.PidsLimit,
      Runtime: h.Runtime,
      ...sandboxInspect(h),
    },
    GraphDriver: {
      Name: rec.spec.driver,
      Data: {
        LowerDir: lowers.join(':'),
        UpperDir: f.upper,
        WorkDir: f.work,
        MergedDir: f.rootfs,
      },
    },
    Mounts: inspectMounts(rec),
    Config: rec.spec.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      MacAddress: '',
      ...net.settings,
    },
  };
}

/** The sandbox fields of HostConfig as docker's inspect shows them (its defaults when unset). */
function sandboxInspect(h: HostConfig): Record<string, unknown> {
  const privileged = !!h.Privileged;
  const unmasked = privileged || (h.SecurityOpt ?? []).includes('systempaths=unconfined');
  return {
    Privileged: privileged,
    ReadonlyRootfs: !!h.ReadonlyRootfs,
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    SecurityOpt: h.SecurityOpt ?? null,
    ...(h.Init ? { Init: true } : {}),
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode || 'private',
    PidMode: h.PidMode ?? '',
    UTSMode: h.UTSMode ?? '',
    ShmSize: h.ShmSize || DEFAULT_SHM_SIZE,
    ...(h.Sysctls && Object.keys(h.Sysctls).length ? { Sysctls: h.Sysctls } : {}),
    Ulimits: h.Ulimits ?? null,
    Devices: h.Devices ?? [],
    CpuShares: h.CpuShares ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    MemorySwap: h.MemorySwap ?? 0,
    MemoryReservation: h.MemoryReservation ?? 0,
    LogConfig: h.LogConfig ?? { Type: 'json-file', Config: {} },
    ContainerIDFile: h.ContainerIDFile ?? '',
    MaskedPaths: unmasked ? [] : MASKED_PATHS,
    ReadonlyPaths: unmasked ? [] : READONLY_PATHS,
  };
}
