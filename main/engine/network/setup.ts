import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { ContainerRecord } from '../container/types.js';
import { isRootless } from '../rootless/detect.js';
import { StorePaths } from '../store/paths.js';
import type { EndpointState, NetworkHostConfig, NetworkMode, NetworkState, PortMap } from './types.js';
import { createNetns, netnsPath, removeNetns } from './netns.js';
import { startPasta, stopPasta } from './pasta.js';
import { hostDefaultRoute } from './host-route.js';
import { writeNetworkEtcFiles } from './etc-files.js';
import { withFileLock } from './file-lock.js';
import type { NetavarkContext } from './netavark.js';
import { plannedEndpoints, setUpEndpoints, tearDownEndpoints, type EndpointPlan } from './bridge.js';
import { ensureRootlessNetns, removeRootlessNetnsIfIdle, rootlessNetnsPath } from './rootless-netns.js';
import { startPortForwarder, stopPortForwarder } from './port-forward.js';

/** The network fields of a container's HostConfig (absent in containers made before networking). */
export type StoredHostConfig = { NetworkMode: string } & Partial<Omit<NetworkHostConfig, 'NetworkMode'>>;

function files(root: string, id: string) {
  const dir = new StorePaths(root).container(id);
  return { dir, state: join(dir, 'network.json'), pastaPid: join(dir, 'pasta.pid'), netns: netnsPath(root, id) };
}

/** none, host and pasta are modes; any other NetworkMode names a bridge network. */
export function modeOf(h: { NetworkMode: string }): NetworkMode {
  const m = h.NetworkMode;
  return m === 'host' || m === 'pasta' || m === 'none' ? m : 'bridge';
}

/** The network of a started container, or undefined when it has none set up (not running). */
export function readNetworkState(root: string, id: string): NetworkState | undefined {
  try {
    return JSON.parse(readFileSync(files(root, id).state, 'utf8')) as NetworkState;
  } catch {
    return undefined;
  }
}

export function writeNetworkState(root: string, id: string, state: NetworkState): void {
  writeFileAtomic(files(root, id).state, JSON.stringify(state));
}

/** How netavark runs for this store: its config dir, and (rootless) the namespace holding the bridges. */
export function netavarkContext(root: string): NetavarkContext {
  const rootless = isRootless();
  return { configDir: new StorePaths(root).networkConfig, rootless, ...(rootless ? { hostNetns: rootlessNetnsPath(root) } : {}) };
}

/** Every netavark call of a store holds this lock (podman's network lock): bridges are shared. */
export function withNetworkLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(join(new StorePaths(root).networkConfig, 'lock'), fn);
}

/** The pid a pid file holds; undefined when there is none (another teardown may remove it at any time). */
function pidIn(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** pasta starts of this process still under way, by container id (see setupNetwork). */
const pastaStarting = new Map<string, Promise<void>>();
/**
 * The pastas this process started, by container id: its pid file lives in the container's
 * directory, which a `rm -f` racing this start (a restart policy's) may have deleted, and a
 * pasta nobody knows the pid of would outlive its container.
 */
const ourPastas = new Map<string, number>();

/** Resolves when the container's network is up (pasta started); rejects with why it is not. */
export async function networkReady(id: string): Promise<void> {
  await pastaStarting.get(id);
}

/**
 * Before the container's runtime is created, with its host ports already chosen: the
 * default network gets a namespace and pasta; bridge mode gets a namespace joined to each
 * planned endpoint by netavark. The result is recorded in network.json for the bundle,
 * inspect, ps and `port`, before netavark runs, so a crash leaves enough for the teardown.
 * Whatever a crashed earlier run left is cleared first.
 */
export async function setupNetwork(root: string, rec: ContainerRecord, ports: PortMap, plans: EndpointPlan[] = []): Promise<NetworkState> {
  await teardownNetwork(root, rec);
  const f = files(root, rec.id);
  const mode = modeOf(rec.spec.hostConfig);
  let state: NetworkState = { mode, ports: {} };
  if (mode === 'pasta') {
    await createNetns(f.netns);
    const route = hostDefaultRoute();
    state = { mode, netns: f.netns, address: route?.address, prefixLen: route?.prefixLen, gateway: route?.gateway, ports };
    writeNetworkState(root, rec.id, state);
    // pasta (~40 ms to configure the namespace and bind the ports) starts beside the mount and
    // `runc create`, which need only the namespace's path; networkReady() waits for it before
    // the container's process runs, and a teardown waits for it before it stops it.
    const started = startPasta({ netns: f.netns, pidFile: f.pastaPid, ports, name: rec.name }).then((pid) => {
      ourPastas.set(rec.id, pid);
      writeNetworkState(root, rec.id, { ...state, pastaPid: pid });
    });
    pastaStarting.set(rec.id, started);
    started.catch(() => undefined).finally(() => pastaStarting.get(rec.id) === started && pastaStarting.delete(rec.id));
    return state;
  } else if (mode === 'bridge') {
    const rootless = isRootless();
    // rootless, published ports are relayed by a forwarder, not DNAT'd inside the rootless netns
    const planned = plannedEndpoints(rec, plans, rootless ? {} : ports, rec.spec.hostConfig.Dns ?? []);
    await createNetns(f.netns);
    state = { mode, netns: f.netns, ports, endpoints: planned };
    writeNetworkState(root, rec.id, state);
    try {
      const endpoints = await withNetworkLock(root, async () => {
        if (rootless) await ensureRootlessNetns(root);
        return setUpEndpoints(netavarkContext(root), f.netns, planned);
      });
      state = { ...state, endpoints };
      // as with DNAT as root, an internal network publishes nothing
      const target = endpoints.find((ep) => ep.gateway);
      if (rootless && target && Object.keys(ports).length) {
        writeNetworkState(root, rec.id, state);
        state.forwarderPid = await startPortForwarder({ netns: rootlessNetnsPath(root), containerId: rec.id, name: rec.name, ports, targetIp: target.address });
      }
    } catch (e) {
      await teardownNetwork(root, rec);
      throw e;
    }
  }
  writeNetworkState(root, rec.id, state);
  return state;
}

/** `network connect` of a running container: netavark adds the endpoint to its namespace. */
export async function addEndpoint(root: string, rec: ContainerRecord, plan: EndpointPlan): Promise<EndpointState> {
  const state = readNetworkState(root, rec.id);
  if (!state?.netns) throw new Error(`container ${rec.name} has no network namespace`);
  const planned = plannedEndpoints(rec, [plan], isRootless() ? {} : state.ports, rec.spec.hostConfig.Dns ?? []);
  // recorded first: a failed setup is torn down with the others when the container stops
  writeNetworkState(root, rec.id, { ...state, endpoints: [...(state.endpoints ?? []), ...planned] });
  try {
    const [ep] = await withNetworkLock(root, async () => {
      if (isRootless()) await ensureRootlessNetns(root);
      return setUpEndpoints(netavarkContext(root), state.netns!, planned);
    });
    writeNetworkState(root, rec.id, { ...state, endpoints: [...(state.endpoints ?? []), ep!] });
    return ep!;
  } catch (e) {
    await withNetworkLock(root, () => tearDownEndpoints(netavarkContext(root), state.netns!, planned).catch(() => undefined));
    writeNetworkState(root, rec.id, state);
    throw e;
  }
}

/** `network disconnect` of a running container: netavark removes that endpoint only. */
export async function removeEndpoint(root: string, rec: ContainerRecord, networkId: string): Promise<void> {
  const state = readNetworkState(root, rec.id);
  const ep = state?.endpoints?.find((e) => e.networkId === networkId);
  if (!state?.netns || !ep) return;
  await withNetworkLock(root, async () => {
    await tearDownEndpoints(netavarkContext(root), state.netns!, [ep]);
    if (isRootless()) await removeRootlessNetnsIfIdle(root);
  });
  writeNetworkState(root, rec.id, { ...state, endpoints: state.endpoints!.filter((e) => e !== ep) });
}

/**
 * Stop pasta (by its pid, checked to be ours) or tear the bridge endpoints down (netavark
 * removes a bridge with its last veth and the names from aardvark-dns, which exits with its
 * last name), drop the namespace and the state. Idempotent, cheap when there is nothing.
 */
export async function teardownNetwork(root: string, rec: Pick<ContainerRecord, 'id'>): Promise<void> {
  const f = files(root, rec.id);
  // a pasta still starting writes its pid file when it is up: stop it after that, not before
  await pastaStarting.get(rec.id)?.catch(() => undefined);
  const pid = pidIn(f.pastaPid) || ourPastas.get(rec.id);
  ourPastas.delete(rec.id);
  if (pid) {
    // stopPasta checks that the pid still is the pasta of this namespace
    await stopPasta(pid, f.netns);
    rmSync(f.pastaPid, { force: true });
  }
  const state = existsSync(f.state) ? readNetworkState(root, rec.id) : undefined;
  if (state?.forwarderPid) stopPortForwarder(state.forwarderPid, rec.id);
  if (state?.endpoints?.length) {
    await withNetworkLock(root, async () => {
      // a namespace gone with a reboot still gets its names out of aardvark-dns; errors
      // about the rest are expected then, and nothing more can be undone
      await tearDownEndpoints(netavarkContext(root), f.netns, state.endpoints!).catch(() => undefined);
      if (isRootless()) await removeRootlessNetnsIfIdle(root);
    });
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
  const mode = modeOf(rec.spec.hostConfig);
  const state = readNetworkState(root, rec.id);
  const etcFiles = writeEtcFiles(root, rec, state);
  const ownNetns = (mode === 'pasta' || mode === 'bridge') && state?.netns;
  return { network: mode === 'host' ? 'host' : 'none', ...(ownNetns ? { netnsPath: state.netns } : {}), etcFiles };
}

/** hostname, hosts and resolv.conf in the container dir; rewritten in place (they are bind-mounted) after connect/disconnect. */
export function writeEtcFiles(root: string, rec: ContainerRecord, state = readNetworkState(root, rec.id)) {
  const h = rec.spec.hostConfig as StoredHostConfig;
  return writeNetworkEtcFiles(files(root, rec.id).dir, {
    hostname: rec.spec.config.Hostname,
    mode: modeOf(h),
    extraHosts: h.ExtraHosts,
    dns: h.Dns,
    dnsSearch: h.DnsSearch,
    dnsOptions: h.DnsOptions,
    address: state?.address,
    gateway: state?.gateway,
    endpoints: state?.endpoints,
  });
}
