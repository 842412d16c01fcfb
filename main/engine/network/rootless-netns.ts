import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StorePaths } from '../store/paths.js';
import { tunUsable, TUN } from '../rootless/network.js';
import { createNetns, isNetnsMount, removeNetns, runTool } from './netns.js';
import { startPasta, stopPasta } from './pasta.js';

/**
 * Rootless bridge networks, podman's way: the store's bridges, veths, NAT rules and
 * aardvark-dns live in one network namespace owned by the user's namespace (rootless-netns),
 * kept by a bind mount in the pause process's mount namespace (main/engine/rootless), so
 * every rootless command and conmon see it. pasta connects it to the host for outbound
 * traffic when the user can open /dev/net/tun. It is made with the first endpoint and
 * removed when its last bridge goes. Callers hold the store's network lock.
 */

export function rootlessNetnsPath(root: string): string {
  return join(new StorePaths(root).netns, 'rootless-netns');
}

const pastaPidFile = (root: string) => `${rootlessNetnsPath(root)}.pasta.pid`;

/** Why a rootless network has no way out here, or undefined when pasta can connect it. */
export function rootlessOutboundProblem(): string | undefined {
  if (tunUsable()) return undefined;
  return `containers on this network have no outbound access: rootless networks reach the host through pasta, which needs ${TUN}, and this user cannot open it (ask root to run \`chmod 0666 ${TUN}\`); containers on the network still reach each other`;
}

/** The rootless namespace holding the bridges: made (lo up, pasta attached when possible) if missing. */
export async function ensureRootlessNetns(root: string): Promise<string> {
  const path = rootlessNetnsPath(root);
  if (isNetnsMount(path)) return path;
  await createNetns(path);
  await runTool('nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  if (!rootlessOutboundProblem()) {
    // Outbound is a bonus here: without it the network still connects its containers.
    await startPasta({ netns: path, pidFile: pastaPidFile(root), ports: {}, name: 'rootless network' }).catch(() => undefined);
  }
  return path;
}

/** Does the rootless namespace still hold a bridge (netavark deletes one with its last veth)? */
function hasBridges(path: string): boolean {
  const r = spawnSync('nsenter', [`--net=${path}`, 'ip', '-o', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  return r.status !== 0 || r.stdout.trim() !== '';
}

/** After a teardown: drop the rootless namespace (and its pasta) once no bridge is left in it. */
export async function removeRootlessNetnsIfIdle(root: string): Promise<void> {
  const path = rootlessNetnsPath(root);
  if (!existsSync(path)) return;
  if (isNetnsMount(path) && hasBridges(path)) return;
  const pidFile = pastaPidFile(root);
  if (existsSync(pidFile)) {
    await stopPasta(Number(readFileSync(pidFile, 'utf8').trim()), path);
    rmSync(pidFile, { force: true });
  }
  await removeNetns(path);
}
