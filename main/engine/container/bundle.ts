import { StorePaths } from '../store/paths.js';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../engine.js';
import type { LayerMount } from '../mount/driver.js';
import { driverByName } from '../mount/probe.js';
import { buildSpec } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import { mkdirScoped } from '../runtime/rootfs-path.js';
import { bundleNetwork } from '../network/setup.js';
import { ociMounts } from '../volume/oci-mounts.js';
import { mountPointsOf } from '../volume/mount-points.js';
import type { ContainerRecord } from './types.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { ensureInitLayer } from './init-layer.js';
import { resolveSandbox } from '../runtime/sandbox.js';
import { joinedNamespaces } from './join.js';
import { isRootless } from '../rootless/detect.js';
import { cgroupsPathFor } from '../rootless/cgroups.js';

/** The files of one container dir (see DESIGN.md "The store"). */
export function containerFiles(root: string, id: string) {
  const paths = new StorePaths(root);
  const dir = paths.container(id);
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    rootfs: join(dir, 'rootfs'),
    links: join(dir, 'l'),
    config: join(dir, 'config.json'),
    log: join(dir, 'ctr.log'),
    pidfile: join(dir, 'pidfile'),
    monitorPid: join(dir, 'conmon.pid'),
    // conmon's attach socket and ctl FIFO (--full-attach puts them in the bundle)
    attach: join(dir, 'attach'),
    ctl: join(dir, 'ctl'),
    exitFile: paths.exitFile(id),
  };
}

/** The layer stack of a container's image, bottom first, as a mount request. */
export function layerMount(engine: Engine, rec: ContainerRecord): LayerMount {
  const f = containerFiles(engine.store.paths.root, rec.id);
  const img = engine.images.get(rec.imageId);
  if (!img) throw new EngineError(ErrorCode.SYSTEM, `the image ${rec.imageId} of container ${rec.name} is gone from the store`);
  const lowers = img.layers.map((l) => {
    const p = engine.images.snapshots.path(l.chainId);
    if (!existsSync(p)) throw new EngineError(ErrorCode.SYSTEM, `layer snapshot ${l.chainId} is missing: run \`slipway system check --repair\``);
    return p;
  });
  lowers.push(ensureInitLayer(join(f.dir, 'init'), [...lowers].reverse()));
  return { lowers, upper: f.upper, work: f.work, target: f.rootfs, linkDir: f.links };
}

export async function mountRootfs(engine: Engine, rec: ContainerRecord): Promise<LayerMount> {
  const m = layerMount(engine, rec);
  const { isMountPoint } = await import('../mount/mountinfo.js');
  if (rec.spec.driver !== 'copy' && isMountPoint(m.target)) return m;
  await driverByName(rec.spec.driver).mount(m);
  return m;
}

export async function unmountRootfs(engine: Engine, rec: ContainerRecord): Promise<void> {
  const f = containerFiles(engine.store.paths.root, rec.id);
  await driverByName(rec.spec.driver).unmount(f.rootfs);
}

/**
 * Write config.json for a container whose rootfs is mounted: user from the image's
 * passwd/group, the working dir created if missing (docker does), /etc files generated.
 */
export function writeBundle(engine: Engine, rec: ContainerRecord, opts: { tty: boolean }): void {
  const f = containerFiles(engine.store.paths.root, rec.id);
  const c = rec.spec.config;
  const h = rec.spec.hostConfig;
  const user = resolveUser(f.rootfs, c.User);
  const cwd = c.WorkingDir || '/';
  if (cwd !== '/') mkdirScoped(f.rootfs, cwd);
  // the mode's namespace (pasta: the one setupNetwork made) and /etc files (main/engine/network)
  const { network, netnsPath, etcFiles: etc } = bundleNetwork(engine.store.paths.root, rec);
  // volumes, binds (a missing -v host dir is created, as docker) and tmpfs, mount points made in the rootfs
  const mounts = ociMounts(f.rootfs, mountPointsOf(rec), h.Tmpfs);
  const spec = buildSpec({
    rootfs: f.rootfs,
    args: [rec.spec.path, ...rec.spec.args],
    env: c.Env,
    cwd,
    user,
    hostname: c.Hostname,
    tty: opts.tty,
    network,
    netnsPath,
    etcFiles: etc,
    mounts: mounts.mounts,
    rootfsPropagation: mounts.rootfsPropagation,
    resources: { memory: h.Memory, nanoCpus: h.NanoCpus, cpuQuota: h.CpuQuota, cpuPeriod: h.CpuPeriod, pidsLimit: h.PidsLimit ?? 0 },
    cgroupsPath: cgroupsPathFor(rec.id, isRootless()),
    sandbox: resolveSandbox(h, { hostNet: network === 'host', rootfs: f.rootfs }),
    joinPaths: joinedNamespaces(engine, h),
  });
  writeFileSync(f.config, JSON.stringify(spec));
}
