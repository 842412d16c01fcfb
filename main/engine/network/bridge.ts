import { isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../model/errors.js';
import { splitPortKey } from './options.js';
import { runNetavark, type NetavarkContext, type NetavarkInput, type NetavarkNetwork, type NetavarkPortMapping } from './netavark.js';
import type { EndpointState, PortMap } from './types.js';

/**
 * A container's endpoints on bridge networks, set up and torn down through netavark. The
 * caller (the networks service) has chosen every address; this module only turns the plan
 * into netavark's input and its answer into EndpointState (kept in network.json).
 */

/** A bridge network as the mechanism needs it (the networks table row has more). */
export interface BridgeNetwork {
  id: string;
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  dns: boolean;
  mtu?: number;
}

export interface EndpointPlan {
  network: BridgeNetwork;
  iface: string;
  ip: string;
  mac: string;
  /** DNS names besides the container's name (aliases, the short ID) */
  aliases: string[];
}

export interface ContainerIdentity {
  id: string;
  name: string;
}

function netavarkNetwork(n: BridgeNetwork): NetavarkNetwork {
  // isolate: traffic between two bridge networks is dropped, as docker isolates its networks
  const options: Record<string, string> = { isolate: 'true' };
  if (n.mtu) options.mtu = String(n.mtu);
  return {
    name: n.name,
    id: n.id,
    driver: 'bridge',
    network_interface: n.bridge,
    subnets: [{ subnet: n.subnet, gateway: n.gateway }],
    ipv6_enabled: false,
    internal: n.internal,
    dns_enabled: n.dns,
    options,
    ipam_options: { driver: 'host-local' },
  };
}

/** PortMap (resolved host ports) -> netavark's port mappings (DNAT rules as root). */
export function portMappings(ports: PortMap): NetavarkPortMapping[] {
  const out: NetavarkPortMapping[] = [];
  for (const [k, bindings] of Object.entries(ports)) {
    const { port, proto } = splitPortKey(k);
    for (const b of bindings) {
      if (b.HostIp && isIPv6(b.HostIp)) throw new InvalidArgumentError(`cannot publish ${k} on [${b.HostIp}]: bridge networks here are IPv4 only; publish on an IPv4 address (-p 127.0.0.1:${b.HostPort}:${port})`);
      out.push({ host_ip: b.HostIp === '0.0.0.0' ? '' : b.HostIp, container_port: port, host_port: Number(b.HostPort), range: 1, protocol: proto });
    }
  }
  return out;
}

/** netavark's input for these endpoints of one container. */
export function netavarkInput(c: ContainerIdentity, plans: EndpointPlan[], ports: NetavarkPortMapping[], dnsServers: string[]): NetavarkInput {
  const input: NetavarkInput = { container_id: c.id, container_name: c.name, networks: {}, network_info: {} };
  for (const p of plans) {
    input.networks[p.network.name] = { interface_name: p.iface, static_ips: [p.ip], static_mac: p.mac, aliases: p.aliases };
    input.network_info[p.network.name] = netavarkNetwork(p.network);
  }
  if (ports.length) input.port_mappings = ports;
  if (dnsServers.length) input.dns_servers = dnsServers;
  return input;
}

/** The part of `input` about one network (what its teardown replays). */
function onlyNetwork(input: NetavarkInput, name: string): NetavarkInput {
  return { ...input, networks: { [name]: input.networks[name]! }, network_info: { [name]: input.network_info[name]! } };
}

/**
 * The endpoints as they will be (addresses are ours, so everything is known before netavark
 * runs): recorded first, so that a crash or a failed setup can be torn down by replaying it.
 * Published ports go with every network (all lead to this container; each network's rules
 * go with its teardown).
 */
export function plannedEndpoints(c: ContainerIdentity, plans: EndpointPlan[], ports: PortMap, dnsServers: string[] = []): EndpointState[] {
  const input = netavarkInput(c, plans, portMappings(ports), dnsServers);
  return plans.map((p) => ({
    networkId: p.network.id,
    network: p.network.name,
    iface: p.iface,
    address: p.ip,
    prefixLen: Number(p.network.subnet.split('/')[1]),
    gateway: p.network.internal ? '' : p.network.gateway,
    mac: p.mac,
    // aardvark-dns answers on the gateway address
    dns: p.network.dns ? [p.network.gateway] : [],
    netavark: onlyNetwork(input, p.network.name),
  }));
}

function merged(endpoints: EndpointState[]): NetavarkInput {
  const input: NetavarkInput = { ...endpoints[0]!.netavark, networks: {}, network_info: {} };
  for (const e of endpoints) {
    Object.assign(input.networks, e.netavark.networks);
    Object.assign(input.network_info, e.netavark.network_info);
  }
  return input;
}

/**
 * netavark setup of planned endpoints in the container's namespace: the veth pair onto each
 * bridge (created with its first container), the address, routes, NAT and port DNAT rules,
 * and the container's names in aardvark-dns. Returns them as netavark reports them.
 */
export async function setUpEndpoints(ctx: NetavarkContext, netns: string, planned: EndpointState[]): Promise<EndpointState[]> {
  if (!planned.length) return [];
  const status = await runNetavark('setup', netns, merged(planned), ctx);
  return planned.map((e) => {
    const st = status[e.network];
    const iface = st?.interfaces?.[e.iface];
    return { ...e, mac: iface?.mac_address ?? e.mac, dns: st?.dns_server_ips ?? e.dns };
  });
}

/** netavark teardown of these endpoints, replaying what setup was told (one call for all). */
export async function tearDownEndpoints(ctx: NetavarkContext, netns: string, endpoints: EndpointState[]): Promise<void> {
  if (!endpoints.length) return;
  await runNetavark('teardown', netns, merged(endpoints), ctx);
}

/** The first free ethN for a new endpoint of a container that has `used` interfaces. */
export function nextInterface(used: string[]): string {
  for (let i = 0; ; i++) if (!used.includes(`eth${i}`)) return `eth${i}`;
}
