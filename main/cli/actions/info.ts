import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { withEngine } from './container-life.js';
import { chooseDriver } from '../../engine/mount/probe.js';
import { runcPath } from '../../engine/runtime/runc.js';
import { hostArch } from '../../engine/image/types.js';
import { rootlessSummary } from '../../engine/rootless/summary.js';

function versionOf(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'not found';
}

/** docker info's essentials, plus which mount driver this store uses and why. */
export async function info(o: { format?: string }): Promise<void> {
  await withEngine(async (engine) => {
    const db = engine.store.db;
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const containers = await engine.containers.list({ all: true });
    const by = (s: string) => containers.filter((c) => (c.state === 'exiting' ? 'exited' : c.state) === s).length;
    const driver = await chooseDriver(engine.store.paths.root);
    let runtime = 'runc';
    try {
      runtime = runcPath();
    } catch {
      runtime = 'runc (not found)';
    }
    const data = {
      Containers: containers.length,
      ContainersRunning: by('running'),
      ContainersPaused: by('paused'),
      ContainersStopped: by('exited') + by('created'),
      Images: count(`SELECT COUNT(*) AS n FROM images`),
      Driver: driver.driver,
      DriverReason: driver.reason,
      DockerRootDir: engine.store.paths.root,
      DefaultRuntime: 'runc',
      Runtime: `${runtime} (${versionOf(runtime).replace(/^runc version /, '')})`,
      Monitor: `conmon (${versionOf('conmon').replace(/^conmon version /, '')})`,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: spawnSync('stat', ['-fc', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() === 'cgroup2fs' ? '2' : '1',
      KernelVersion: release(),
      OperatingSystem: 'linux',
      Architecture: hostArch(),
      ...rootlessSummary(),
      DefaultNetwork: 'pasta (an own network namespace with outbound access and -p; --network none or host otherwise)',
    };
    if (o.format) {
      const { formatEach } = await import('../format.js');
      process.stdout.write(formatEach(o.format, [data]));
      return;
    }
    const lines = [
      'Server:',
      ` Containers: ${data.Containers}`,
      `  Running: ${data.ContainersRunning}`,
      `  Paused: ${data.ContainersPaused}`,
      `  Stopped: ${data.ContainersStopped}`,
      ` Images: ${data.Images}`,
      ` Storage Driver: ${data.Driver}`,
      `  Why: ${data.DriverReason}`,
      ` Cgroup Driver: ${data.CgroupDriver}`,
      ` Cgroup Version: ${data.CgroupVersion}`,
      ` Runtime: ${data.Runtime}`,
      ` Monitor: ${data.Monitor}`,
      ` Default Network: ${data.DefaultNetwork}`,
      ` Kernel Version: ${data.KernelVersion}`,
      ` Architecture: ${data.Architecture}`,
      ` Rootless: ${data.Rootless}`,
      ...(data.Rootless ? [`  ID Mapping: ${data.RootlessIdMapping}`, `  Cgroup Limits: ${data.RootlessCgroupLimits}`, `  Networks: ${data.RootlessNetwork}`] : []),
      ` Slipway Root Dir: ${data.DockerRootDir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
