import { isIP } from 'node:net';
import { InvalidArgumentError } from '../model/errors.js';
import { rootlessNetworkMode } from '../rootless/network.js';
import type { NetworkHostConfig, NetworkMode, PortMap, Proto } from './types.js';

/** Published ports bind here unless the user names an address: nothing is exposed beyond this machine by surprise. */
export const DEFAULT_HOST_IP = '127.0.0.1';

export interface NetworkFlags {
  network?: string;
  publish?: string[];
  publishAll?: boolean;
  addHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

const bad = (msg: string) => new InvalidArgumentError(msg);

/** --network: none, host, or the default (pasta; "bridge", "default", "slirp4netns" are taken as it). */
export function parseNetworkMode(v: string | undefined): NetworkMode {
  const n = (v ?? '').trim();
  if (n === '' || n === 'pasta' || n === 'default' || n === 'bridge' || n === 'slirp4netns' || n === 'private') return 'pasta';
  if (n === 'none' || n === 'host') return n;
  throw bad(`network ${n} not found: use --network none, host, or leave it out for the default network (pasta)`);
}

function parsePortNumber(s: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw bad(`invalid ${what} "${s}" in "-p ${spec}": use a port number 1-65535 or a range such as 8000-8010`);
  return [lo, hi];
}

/**
 * One -p value, as docker parses it: [IP:][HOST:]CTR[/tcp|udp], IPv6 addresses in brackets,
 * port ranges of equal length, or a host range for a single container port (any free port in
 * it). No host port means any free port.
 */
export function parsePublish(spec: string): PortMap {
  let rest = spec.trim();
  let proto: Proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw bad(`invalid protocol "${p}" in "-p ${spec}": use tcp or udp`);
    proto = p;
    rest = rest.slice(0, slash);
  }
  let ip = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') throw bad(`invalid address in "-p ${spec}": write IPv6 addresses as [::1]:8080:80`);
    ip = rest.slice(1, end);
    rest = rest.slice(end + 2);
    if (!rest.includes(':')) rest = `:${rest}`;
  }
  const parts = rest.split(':');
  let hostPart = '';
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0]!;
  else if (parts.length === 2) [hostPart, ctrPart] = parts as [string, string];
  else if (parts.length === 3 && !ip) [ip, hostPart, ctrPart] = parts as [string, string, string];
  else throw bad(`invalid port specification "${spec}": use [IP:][HOST_PORT:]CONTAINER_PORT[/PROTO], with IPv6 addresses in brackets`);
  if (ip && !isIP(ip)) throw bad(`invalid IP address "${ip}" in "-p ${spec}"`);
  const [cLo, cHi] = parsePortNumber(ctrPart, 'container port', spec);
  const out: PortMap = {};
  const add = (ctr: number, hostPort: string) => (out[`${ctr}/${proto}`] ??= []).push({ HostIp: ip || DEFAULT_HOST_IP, HostPort: hostPort });
  if (!hostPart) {
    for (let c = cLo; c <= cHi; c++) add(c, '');
    return out;
  }
  const [hLo, hHi] = parsePortNumber(hostPart, 'host port', spec);
  if (cLo === cHi) add(cLo, hLo === hHi ? String(hLo) : `${hLo}-${hHi}`);
  else if (hHi - hLo === cHi - cLo) for (let i = 0; i <= cHi - cLo; i++) add(cLo + i, String(hLo + i));
  else throw bad(`invalid port specification "${spec}": the host and container port ranges must have the same length`);
  return out;
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

function merge(into: PortMap, more: PortMap): void {
  for (const [k, v] of Object.entries(more)) (into[k] ??= []).push(...v);
}

/** The network part of a new container's HostConfig, validated (every error before anything is created). */
export function networkHostConfig(f: NetworkFlags): NetworkHostConfig {
  const mode = rootlessNetworkMode(parseNetworkMode(f.network), f);
  const ports: PortMap = {};
  for (const p of f.publish ?? []) merge(ports, parsePublish(p));
  const published = Object.keys(ports).length > 0 || !!f.publishAll;
  // docker: ports cannot be published into a container that has no network of its own
  if (published && mode !== 'pasta') throw bad(`cannot publish ports with --network ${mode}: ${mode === 'host' ? 'the container already uses the host\'s ports' : 'it has no network'}; drop -p/-P or the --network flag`);
  for (const h of f.addHosts ?? []) parseExtraHost(h);
  for (const d of f.dns ?? []) if (!isIP(d)) throw bad(`invalid argument "${d}" for "--dns" flag: use an IP address`);
  return {
    NetworkMode: mode,
    PortBindings: ports,
    PublishAllPorts: !!f.publishAll,
    ExtraHosts: f.addHosts?.length ? [...f.addHosts] : null,
    Dns: [...(f.dns ?? [])],
    DnsSearch: [...(f.dnsSearch ?? [])],
    DnsOptions: [...(f.dnsOptions ?? [])],
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
