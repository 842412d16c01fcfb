import { withEngine } from './with-engine.js';
import { systemInfo } from '../../engine/index.js';
import { writeOut } from '../stdout.js';

/** docker info's essentials, plus which mount driver this store uses and why. */
export async function info(o: { format?: string }): Promise<void> {
  await withEngine(async (engine) => {
    const data = await systemInfo(engine);
    if (o.format) {
      const { formatEach } = await import('../format.js');
      writeOut(formatEach(o.format, [data]));
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
    writeOut(`${lines.join('\n')}\n`);
  });
}
