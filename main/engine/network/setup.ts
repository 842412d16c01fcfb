import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { ContainerRecord } from '../container/types.js';
import type { NetworkHostConfig, NetworkMode, NetworkState } from './types.js';
import { wantedBindings } from './options.js';
import { resolveHostPorts } from './host-ports.js';
import { createNetns, netnsPath, removeNetns } from './netns.js';
import { startPasta, stopPasta } from './pasta.js';
import { hostDefaultRoute } from './host-route.js';
import { writeNetworkEtcFiles } from './etc-files.js';

/** The network fields of a container's HostConfig (absent in containers made before networking). */
export type StoredHostConfig = { NetworkMode: string } & Partial<Omit<NetworkHostConfig, 'NetworkMode'>>;

function files(root: string, id: string) {
  const dir = join(root, 'containers', id);
  return { dir, state: join(dir, 'network.json'), pastaPid: join(dir, 'pasta.pid'), netns: netnsPath(root, id) };
}

export function modeOf(h: { NetworkMode: string }): NetworkMode {
  return h.NetworkMode === 'host' ? 'host' : h.NetworkMode === 'pasta' ? 'pasta' : 'none';
}

/** The network of a started container, or undefined when it has none set up (not running). */
export function readNetworkState(root: string, id: string): NetworkState | undefined {
  try {
    return JSON.parse(readFileSync(files(root, id).state, 'utf8')) as NetworkState;
  } catch {
    return undefined;
  }
}

/**
 * Before the container's runtime is created: for the default network, check and pick the host
 * ports (a taken port is an error here, with nothing started), create the network namespace
 * and start pasta for it. The result is recorded in network.json for the bundle, inspect, ps
 * and `port`. Whatever a crashed earlier run left is cleared first.
 */
export async function setupNetwork(root: string, rec: ContainerRecord): Promise<NetworkState> {
  await teardownNetwork(root, rec);
  const f = files(root, rec.id);
  const h = rec.spec.hostConfig as StoredHostConfig;
  const mode = modeOf(h);
  let state: NetworkState = { mode, ports: {} };
  if (mode === 'pasta') {
    const ports = await resolveHostPorts(rec.name, wantedBindings(h, rec.spec.config.ExposedPorts));
    await createNetns(f.netns);
    try {
      const pid = await startPasta({ netns: f.netns, pidFile: f.pastaPid, ports, name: rec.name });
      const route = hostDefaultRoute();
      state = { mode, netns: f.netns, pastaPid: pid, address: route?.address, prefixLen: route?.prefixLen, gateway: route?.gateway, ports };
    } catch (e) {
      await removeNetns(f.netns);
      throw e;
    }
  }
  writeFileAtomic(f.state, JSON.stringify(state));
  return state;
}

/** Stop pasta (by its pid, checked to be ours), drop the namespace and the state. Idempotent, cheap when there is nothing. */
export async function teardownNetwork(root: string, rec: Pick<ContainerRecord, 'id'>): Promise<void> {
  const f = files(root, rec.id);
  if (existsSync(f.pastaPid)) {
    const pid = Number(readFileSync(f.pastaPid, 'utf8').trim());
    await stopPasta(pid, f.netns);
    rmSync(f.pastaPid, { force: true });
  }
  // a mount point is always an existing path, so no file = nothing mounted (and no mountinfo read)
  if (existsSync(f.netns)) await removeNetns(f.netns);
  rmSync(f.state, { force: true });
}

/**
 * For the OCI bundle: which namespace to join and the /etc files for the mode. `network` is
 * what runtime/spec.ts knows: 'host', or 'none' (its own netns: new and empty, or `netnsPath`).
 */
export function bundleNetwork(root: string, rec: ContainerRecord): { network: 'none' | 'host'; netnsPath?: string; etcFiles: { hostname: string; hosts: string; resolvConf: string } } {
  const h = rec.spec.hostConfig as StoredHostConfig;
  const mode = modeOf(h);
  const state = readNetworkState(root, rec.id);
  const etcFiles = writeNetworkEtcFiles(files(root, rec.id).dir, {
    hostname: rec.spec.config.Hostname,
    mode,
    extraHosts: h.ExtraHosts,
    dns: h.Dns,
    dnsSearch: h.DnsSearch,
    dnsOptions: h.DnsOptions,
    address: state?.address,
    gateway: state?.gateway,
  });
  return { network: mode === 'host' ? 'host' : 'none', ...(mode === 'pasta' && state?.netns ? { netnsPath: state.netns } : {}), etcFiles };
}
