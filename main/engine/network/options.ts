import { isIP } from 'node:net';
import { InvalidArgumentError } from '../model/errors.js';
import { rootlessNetworkMode } from '../rootless/network.js';
import type { NetworkHostConfig, PortBinding, PortMap, Proto } from './types.js';
import type { CreateHostConfig } from '../model/container-spec.js';

/** Published ports bind here unless the user names an address: nothing is exposed beyond this machine by surprise. */
export const DEFAULT_HOST_IP = '127.0.0.1';

const bad = (msg: string) => new InvalidArgumentError(msg);

/** The default bridge network's name, as docker's. */
export const DEFAULT_BRIDGE = 'bridge';

/** Names --network takes for the default network (pasta): docker's "default" and podman's words. */
export const PASTA_NAMES = new Set(['', 'pasta', 'default', 'slirp4netns', 'private']);

/**
 * --network: none, host, the default (pasta), or a network's name (`bridge` is the default
 * bridge network, as docker has it). Whether a named network exists is the networks
 * service's question, asked at create.
 */
export function parseNetworkMode(v: string | undefined): string {
  const n = (v ?? '').trim();
  if (PASTA_NAMES.has(n)) return 'pasta';
  if (n.startsWith('container:')) throw bad(`--network ${n} is not supported: put the containers on one network (network create, then --network NAME) to let them talk`);
  return n;
}

/** Is this NetworkMode the default network, none or host (no bridge network)? */
export function isBuiltinMode(mode: string): mode is 'pasta' | 'none' | 'host' {
  return mode === 'pasta' || mode === 'none' || mode === 'host';
}

/** One HostConfig.PortBindings entry, as an API client may send it: "80/tcp" -> [{HostIp, HostPort}]. */
function checkedBindings(key: string, list: unknown): PortBinding[] {
  const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(key);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw bad(`invalid port "${key}" in HostConfig.PortBindings: use PORT/tcp or PORT/udp with a port 1-65535`);
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw bad(`HostConfig.PortBindings["${key}"] must be a list of {HostIp, HostPort}`);
  return list.map((b: { HostIp?: unknown; HostPort?: unknown }) => {
    const ip = typeof b?.HostIp === 'string' ? b.HostIp.replace(/^\[(.*)\]$/, '$1') : '';
    const port = typeof b?.HostPort === 'string' ? b.HostPort : b?.HostPort === undefined || b?.HostPort === null ? '' : String(b.HostPort);
    if (ip && !isIP(ip)) throw bad(`invalid IP address "${ip}" in HostConfig.PortBindings["${key}"]`);
    const r = /^(\d+)(?:-(\d+))?$/.exec(port);
    if (port && (!r || Number(r[1]) < 1 || Number(r[2] ?? r[1]) > 65535 || Number(r[1]) > Number(r[2] ?? r[1]))) {
      throw bad(`invalid host port "${port}" in HostConfig.PortBindings["${key}"]: use a port number 1-65535, a range such as 8000-8010, or "" for any free port`);
    }
    return { HostIp: ip || DEFAULT_HOST_IP, HostPort: port };
  });
}

/** --add-host NAME:IP (IPv6 as NAME:[::1] or NAME:::1); IP may be "host-gateway" (the host, as docker). */
export function parseExtraHost(v: string): { name: string; ip: string } {
  const i = v.indexOf(':');
  const name = i > 0 ? v.slice(0, i) : '';
  let ip = i > 0 ? v.slice(i + 1) : '';
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!name || !/^[A-Za-z0-9_.-]+$/.test(name) || !(isIP(ip) || ip === 'host-gateway')) {
    throw bad(`invalid argument "${v}" for "--add-host" flag: use NAME:IP (for example db:10.0.0.5, or host.docker.internal:host-gateway)`);
  }
  return { name, ip };
}

/**
 * The network part of a new container's HostConfig, validated (every error before anything is
 * created): the mode resolved, published ports with their host address filled in.
 */
export function networkHostConfig(h: CreateHostConfig): NetworkHostConfig {
  const ports: PortMap = {};
  for (const [key, list] of Object.entries(h.PortBindings ?? {})) {
    const k = key.includes('/') ? key : `${key}/tcp`;
    (ports[k] ??= []).push(...checkedBindings(key, list));
  }
  const published = Object.keys(ports).length > 0 || !!h.PublishAllPorts;
  const parsed = parseNetworkMode(h.NetworkMode);
  const mode = parsed === 'pasta' ? rootlessNetworkMode(parsed, { network: h.NetworkMode, published }) : parsed;
  // docker: ports cannot be published into a container that has no network of its own
  if (published && (mode === 'none' || mode === 'host')) throw bad(`cannot publish ports with --network ${mode}: ${mode === 'host' ? 'the container already uses the host\'s ports' : 'it has no network'}; drop -p/-P or the --network flag`);
  const extraHosts = h.ExtraHosts ?? [];
  for (const x of extraHosts) parseExtraHost(x);
  for (const d of h.Dns ?? []) if (!isIP(d)) throw bad(`invalid argument "${d}" for "--dns" flag: use an IP address`);
  return {
    NetworkMode: mode,
    PortBindings: ports,
    PublishAllPorts: !!h.PublishAllPorts,
    ExtraHosts: extraHosts.length ? [...extraHosts] : null,
    Dns: [...(h.Dns ?? [])],
    DnsSearch: [...(h.DnsSearch ?? [])],
    DnsOptions: [...(h.DnsOptions ?? [])],
  };
}

/**
 * The bindings to make at start: the explicit ones, plus (with -P) every EXPOSEd port not
 * already published, to a free host port on the default address.
 */
export function wantedBindings(h: Pick<Partial<NetworkHostConfig>, 'PortBindings' | 'PublishAllPorts'>, exposed: Record<string, object> | undefined): PortMap {
  const out: PortMap = {};
  for (const [k, v] of Object.entries(h.PortBindings ?? {})) out[k] = v.map((b) => ({ ...b }));
  if (h.PublishAllPorts) {
    for (const key of Object.keys(exposed ?? {})) {
      const k = key.includes('/') ? key : `${key}/tcp`;
      if (!out[k]) out[k] = [{ HostIp: DEFAULT_HOST_IP, HostPort: '' }];
    }
  }
  return out;
}

export function splitPortKey(key: string): { port: number; proto: Proto } {
  const [p, proto = 'tcp'] = key.split('/');
  return { port: Number(p), proto: proto === 'udp' ? 'udp' : 'tcp' };
}

/** Config.ExposedPorts: the image's, plus every published port (docker does the same). */
export function exposedWithPublished(image: Record<string, object> | undefined, published: PortMap): { ExposedPorts?: Record<string, object> } {
  const all: Record<string, object> = { ...(image ?? {}) };
  for (const k of Object.keys(published)) all[k] ??= {};
  return Object.keys(all).length ? { ExposedPorts: all } : {};
}
