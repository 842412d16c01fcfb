/**
 * The container's network as chosen at create: none (lo only), host, pasta (own netns +
 * user-mode NAT), or bridge (own netns joined to one or more bridge networks by netavark;
 * HostConfig.NetworkMode then holds the first network's name).
 */
export type NetworkMode = 'none' | 'host' | 'pasta' | 'bridge';

export type Proto = 'tcp' | 'udp';

/** docker's PortBinding: HostPort '' = any free port; 'a-b' = the first free one in that range. */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** docker's PortMap: "80/tcp" -> bindings (HostConfig.PortBindings, NetworkSettings.Ports). */
export type PortMap = Record<string, PortBinding[]>;

/** The network part of HostConfig, as stored in the container's spec. */
export interface NetworkHostConfig {
  /** none, host, pasta, or a network's name */
  NetworkMode: string;
  PortBindings: PortMap;
  PublishAllPorts: boolean;
  /** "name:ip" lines for /etc/hosts */
  ExtraHosts: string[] | null;
  Dns: string[];
  DnsSearch: string[];
  DnsOptions: string[];
}

/** What a started container's network is right now: kept in <container dir>/network.json. */
export interface NetworkState {
  mode: NetworkMode;
  /** bind-mounted network namespace (pasta mode) */
  netns?: string;
  pastaPid?: number;
  /** rootless bridge mode with published ports: the forwarder holding the host ports */
  forwarderPid?: number;
  /** the container's address and its gateway (which pasta maps to the host's loopback) */
  address?: string;
  prefixLen?: number;
  gateway?: string;
  /** the published ports with the host ports actually bound */
  ports: PortMap;
  /** bridge mode: each network joined, as set up (what /etc/hosts, resolv.conf and teardown read) */
  endpoints?: EndpointState[];
}

/** One network a started bridge-mode container is on. */
export interface EndpointState {
  networkId: string;
  network: string;
  iface: string;
  address: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  /** aardvark-dns addresses (the gateway) when the network resolves names */
  dns: string[];
  /** what netavark was told for this network, replayed for its teardown */
  netavark: import('./netavark.js').NetavarkInput;
}

/** Where pasta answers DNS queries (forwarded to the host's resolver), as podman uses it. */
export const DNS_FORWARD_ADDR = '169.254.1.1';
