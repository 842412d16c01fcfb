import type { ContainerRecord } from '../container/types.js';
import { InvalidArgumentError, NotFoundError } from '../model/errors.js';
import type { PortBinding, PortMap } from './types.js';
import { modeOf, readNetworkState, type StoredHostConfig } from './setup.js';
import { formatHostIp } from './pasta.js';

const isLive = (rec: ContainerRecord) => rec.state === 'running' || rec.state === 'paused';

/** "80/tcp" keys in docker's order: by port number, then protocol. */
function sortKeys(keys: string[]): string[] {
  return [...keys].sort((a, b) => {
    const [pa, ta = ''] = a.split('/');
    const [pb, tb = ''] = b.split('/');
    return Number(pa) - Number(pb) || ta.localeCompare(tb);
  });
}

/**
 * NetworkSettings.Ports as docker shows it: while the container runs, every exposed or
 * published port, with the host bindings actually made (null for exposed-only); {} otherwise.
 */
export function livePorts(root: string, rec: ContainerRecord): Record<string, PortBinding[] | null> {
  if (!isLive(rec)) return {};
  const state = readNetworkState(root, rec.id);
  const bound: PortMap = state?.ports ?? {};
  const out: Record<string, PortBinding[] | null> = {};
  const exposed = modeOf(rec.spec.hostConfig) === 'host' ? [] : Object.keys(rec.spec.config.ExposedPorts ?? {}).map((k) => (k.includes('/') ? k : `${k}/tcp`));
  for (const k of sortKeys([...new Set([...exposed, ...Object.keys(bound)])])) out[k] = bound[k]?.length ? bound[k]! : null;
  return out;
}

/** docker ps's PORTS column: "127.0.0.1:8080->80/tcp, 443/tcp". */
export function portsColumn(root: string, rec: ContainerRecord): string {
  const parts: string[] = [];
  for (const [k, bindings] of Object.entries(livePorts(root, rec))) {
    if (!bindings) parts.push(k);
    else for (const b of bindings) parts.push(`${formatHostIp(b.HostIp || '0.0.0.0')}:${b.HostPort}->${k}`);
  }
  return parts.join(', ');
}

/** docker port: "80/tcp -> 127.0.0.1:8080" lines, or just the host addresses for one private port. */
export function portLines(root: string, rec: ContainerRecord, privatePort?: string): string[] {
  const ports = livePorts(root, rec);
  const host = (b: PortBinding) => `${formatHostIp(b.HostIp || '0.0.0.0')}:${b.HostPort}`;
  if (privatePort === undefined) {
    return Object.entries(ports).flatMap(([k, bs]) => (bs ?? []).map((b) => `${k} -> ${host(b)}`));
  }
  const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(privatePort.trim());
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new InvalidArgumentError(`invalid port "${privatePort}": use PORT or PORT/tcp|udp, for example 80/tcp`);
  const key = `${Number(m[1])}/${(m[2] ?? 'tcp').toLowerCase()}`;
  const bs = ports[key];
  if (!bs?.length) throw new NotFoundError(`No public port '${key}' published for ${rec.name}`);
  return bs.map(host);
}

/**
 * The network fields of docker inspect: HostConfig's and NetworkSettings'. `endpoints` are
 * a bridge-mode container's networks (docker's EndpointSettings, from the networks service);
 * the top-level address fields are the default bridge's, as docker shows them.
 */
export function inspectNetwork(root: string, rec: ContainerRecord, endpoints: Record<string, { IPAddress: string; Gateway: string; IPPrefixLen: number; MacAddress: string }> = {}): { hostConfig: Record<string, unknown>; settings: Record<string, unknown> } {
  const h = rec.spec.hostConfig as StoredHostConfig;
  const mode = modeOf(h);
  const state = isLive(rec) ? readNetworkState(root, rec.id) : undefined;
  const bridge = mode === 'bridge' ? endpoints.bridge : undefined;
  const address = mode === 'pasta' ? state?.address ?? '' : bridge?.IPAddress ?? '';
  const gateway = mode === 'pasta' ? state?.gateway ?? '' : bridge?.Gateway ?? '';
  return {
    hostConfig: {
      NetworkMode: h.NetworkMode,
      PortBindings: h.PortBindings ?? {},
      PublishAllPorts: !!h.PublishAllPorts,
      ExtraHosts: h.ExtraHosts ?? null,
      Dns: h.Dns ?? [],
      DnsSearch: h.DnsSearch ?? [],
      DnsOptions: h.DnsOptions ?? [],
    },
    settings: {
      SandboxKey: state?.netns ?? '',
      Ports: livePorts(root, rec),
      Gateway: gateway,
      IPAddress: address,
      IPPrefixLen: bridge ? bridge.IPPrefixLen : address ? state?.prefixLen ?? 0 : 0,
      ...(bridge ? { MacAddress: bridge.MacAddress } : {}),
      Networks: mode === 'bridge' ? endpoints : { [h.NetworkMode]: { NetworkID: h.NetworkMode, IPAddress: address, Gateway: gateway, MacAddress: '' } },
    },
  };
}
