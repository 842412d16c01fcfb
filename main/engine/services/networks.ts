import { createHash } from 'node:crypto';
import { renameInDns } from '../network/dns-rename.js';
import { isIPv4 } from 'node:net';
import type { Engine } from '../engine.js';
import type { DB } from '../store/db.js';
import type { ContainerRecord } from '../container/types.js';
import type { NetworkingConfig } from '../model/container-spec.js';
import { ConflictError, EngineError, ErrorCode, InvalidArgumentError, NotFoundError } from '../model/errors.js';
import { newId, shortId } from '../util/ids.js';
import { endpointsTable, networksTable, portsTable, type EndpointRow, type NetworkRow } from '../store/tables/networks.js';
import { contains, overlaps, formatCidr, gatewayFor, ipToInt, macFor, parseSubnet, pickAddress, pickSubnet, tryParseCidr, type Cidr } from '../network/ipam.js';
import { routedSubnets } from '../network/host-route.js';
import { DEFAULT_BRIDGE, PASTA_NAMES, isBuiltinMode, parseNetworkMode, wantedBindings } from '../network/options.js';
import { resolveHostPorts } from '../network/host-ports.js';
import { addEndpoint, modeOf, readNetworkState, removeEndpoint, setupNetwork, teardownNetwork, writeEtcFiles } from '../network/setup.js';
import { nextInterface, type BridgeNetwork, type EndpointPlan } from '../network/bridge.js';
import { rootlessOutboundProblem } from '../network/rootless-netns.js';
import { parseTimeFilter } from '../model/time-filter.js';
import { isRootless } from '../rootless/detect.js';
import type { NetworkState, PortMap } from '../network/types.js';

/** docker's NetworkCreateRequest (the Engine API body; the CLI builds the same). */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string } | null;
  CheckDuplicate?: boolean;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: IpamConfig[] | null } | null;
}

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** docker's NetworkResource: what `network inspect` and `network ls --format json` show. */
export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** docker's EndpointSettings, as inspect shows it under NetworkSettings.Networks. */
export interface EndpointSettings {
  IPAMConfig: { IPv4Address: string } | null;
  Links: null;
  Aliases: string[] | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  DriverOpts: null;
}

/** What `run --network NAME --network-alias A --ip IP` (or EndpointsConfig) asks for. */
export interface AttachRequest {
  aliases?: string[];
  ip?: string;
}

/** The network modes that are not rows: docker shows them in `network ls` too. */
const PSEUDO = { host: 'host', none: 'null' } as const;
type Pseudo = keyof typeof PSEUDO;

/** Options a bridge network takes (docker's names, and netavark's short ones). */
const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
const MTU_OPTS = ['com.docker.network.driver.mtu', 'mtu'];
const TRUE_ONLY_OPTS = ['com.docker.network.bridge.enable_icc', 'com.docker.network.bridge.enable_ip_masquerade'];

/** docker's predefined networks (the other words --network takes for pasta are reserved too). */
const PREDEFINED = new Set(['bridge', 'host', 'none', 'default']);

const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

const pseudoId = (name: string) => createHash('sha256').update(`slipway network ${name}`).digest('hex');

const bad = (msg: string) => new InvalidArgumentError(msg);
const forbidden = (msg: string) => new EngineError(ErrorCode.FORBIDDEN, msg);

/**
 * User-defined bridge networks (docker's `network` verbs) and the container side of them:
 * attachments made at create and `network connect`, endpoints set up at start through
 * netavark (main/engine/network) with addresses we hand out here, and torn down at exit.
 */
export class NetworkService {
  constructor(readonly engine: Engine) {}

  private get db(): DB {
    return this.engine.store.db;
  }

  private get root(): string {
    return this.engine.store.paths.root;
  }

  // ------------------------------------------------------------------ networks

  /** docker network create. Only a row: the bridge appears with the first container. */
  create(req: NetworkCreateRequest): { Id: string; Warning: string } {
    const name = req.Name ?? '';
    if (!name) throw bad('network name cannot be empty: give a NAME');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw bad(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (PREDEFINED.has(name)) throw forbidden(`operation is not permitted on predefined ${name} network`);
    if (PASTA_NAMES.has(name)) throw forbidden(`network name ${name} is reserved: --network ${name} means the default network (pasta); choose another name`);
    const driver = req.Driver || 'bridge';
    if (driver !== 'bridge') {
      if (['host', 'null', 'macvlan', 'ipvlan', 'overlay'].includes(driver)) throw bad(`network driver ${driver} is not supported: this engine makes bridge networks (--driver bridge)`);
      throw new NotFoundError(`plugin "${driver}" not found`);
    }
    if (req.EnableIPv6) throw bad('IPv6 networks are not supported yet: leave out --ipv6 (bridge networks here are IPv4)');
    if (req.Scope && req.Scope !== 'local') throw bad(`scope ${req.Scope} is not supported: networks here are local`);
    if (req.ConfigOnly || req.ConfigFrom?.Network) throw bad('config-only networks (--config-only, --config-from) are not supported');
    if (req.Ingress) throw bad('ingress networks are a swarm feature and are not supported');
    const ipam = req.IPAM ?? {};
    if (ipam.Driver && ipam.Driver !== 'default') throw new NotFoundError(`plugin "${ipam.Driver}" not found`);
    if (ipam.Options && Object.keys(ipam.Options).length) throw bad('IPAM options (--ipam-opt) are not supported by the default IPAM driver');
    const configs = ipam.Config ?? [];
    if (configs.length > 1) throw bad('one --subnet per network is supported (IPv4); give a single --subnet');
    const cfg = configs[0] ?? {};
    if (cfg.AuxiliaryAddresses && Object.keys(cfg.AuxiliaryAddresses).length) throw bad('--aux-address is not supported');
    if (!cfg.Subnet && (cfg.Gateway || cfg.IPRange)) throw bad('every ip-range or gateway must have a corresponding subnet');
    const options = { ...(req.Options ?? {}) };
    const bridgeName = this.checkOptions(options);
    const labels = { ...(req.Labels ?? {}) };
    const subnet = cfg.Subnet ? parseSubnet(cfg.Subnet) : undefined;
    let range: Cidr | undefined;
    if (cfg.IPRange) {
      range = tryParseCidr(cfg.IPRange);
      if (!range) throw bad(`invalid ip-range ${cfg.IPRange}: invalid CIDR address: ${cfg.IPRange}`);
      if (subnet && !(contains(subnet, range.base) && range.prefix >= subnet.prefix)) throw bad(`no matching subnet for range ${cfg.IPRange}`);
    }
    const gateway = subnet ? gatewayFor(subnet, cfg.Gateway) : undefined;
    const id = newId();
    const row: NetworkRow = {
      id,
      name,
      driver: 'bridge',
      created: new Date().toISOString(),
      subnet: '',
      gateway: '',
      ipRange: range ? formatCidr(range) : null,
      internal: !!req.Internal,
      attachable: !!req.Attachable,
      dns: true,
      builtin: false,
      bridge: bridgeName ?? `slw-${id.slice(0, 11)}`,
      labels,
      options,
    };
    const tx = this.db.transaction(() => {
      this.ensureDefaultBridge();
      if (networksTable.byName(this.db, name)) throw new ConflictError(`network with name ${name} already exists`);
      const others = networksTable.all(this.db);
      if (others.some((o) => o.bridge === row.bridge)) throw new ConflictError(`bridge name ${row.bridge} is in use by another network: choose another ${BRIDGE_NAME_OPT}`);
      const taken = others.map((o) => tryParseCidr(o.subnet)!).filter(Boolean);
      let chosen: Cidr;
      if (subnet) {
        if (taken.some((t) => overlaps(t, subnet))) throw forbidden('Pool overlaps with other one on this address space');
        chosen = subnet;
      } else {
        // docker's way: the next default pool that neither another network nor a host route uses
        chosen = pickSubnet([...taken, ...routedSubnets()]);
      }
      row.subnet = formatCidr(chosen);
      row.gateway = gateway ?? gatewayFor(chosen);
      networksTable.insert(this.db, row);
      this.engine.store.emit('network', 'create', id, { name, type: 'bridge' });
    });
    tx.immediate();
    const warning = isRootless() ? rootlessOutboundProblem() ?? '' : '';
    return { Id: id, Warning: warning };
  }

  /** Bridge options: known ones checked, unknown ones refused (never silently ignored). */
  private checkOptions(options: Record<string, string>): string | undefined {
    let bridgeName: string | undefined;
    for (const [k, v] of Object.entries(options)) {
      if (k === BRIDGE_NAME_OPT) {
        if (!IFNAME_RE.test(v)) throw bad(`invalid ${BRIDGE_NAME_OPT} "${v}": an interface name of 1-15 letters, digits, _ . -`);
        bridgeName = v;
      } else if (MTU_OPTS.includes(k)) {
        if (!/^\d+$/.test(v) || Number(v) < 68 || Number(v) > 65535) throw bad(`invalid MTU "${v}" for ${k}: use a number from 68 to 65535`);
      } else if (TRUE_ONLY_OPTS.includes(k)) {
        if (v !== 'true') throw bad(`${k}=${v} is not supported: bridge networks here always ${k.endsWith('icc') ? 'let their containers talk' : 'masquerade outbound traffic'}`);
      } else if (k === 'com.docker.network.bridge.host_binding_ipv4') {
        if (!isIPv4(v)) throw bad(`invalid ${k} "${v}": use an IPv4 address`);
      } else if (k !== 'isolate' && k !== 'com.docker.network.bridge.default_bridge') {
        throw bad(`unsupported bridge network option ${k}: known options are ${BRIDGE_NAME_OPT}, com.docker.network.driver.mtu (mtu), com.docker.network.bridge.host_binding_ipv4`);
      }
    }
    return bridgeName;
  }

  /**
   * The default network named `bridge`, as docker has it: made on first use, on 172.17.0.0/16
   * unless something routes that here, no name resolution between its containers (docker's
   * default bridge has none either). Containers started without --network keep pasta.
   */
  private ensureDefaultBridge(): NetworkRow {
    const have = networksTable.byName(this.db, DEFAULT_BRIDGE);
    if (have) return have;
    const taken = networksTable.all(this.db).map((o) => tryParseCidr(o.subnet)!).filter(Boolean);
    const subnet = pickSubnet([...taken, ...routedSubnets()], { base: ipToInt('172.17.0.0'), prefix: 16 });
    const row: NetworkRow = {
      id: newId(),
      name: DEFAULT_BRIDGE,
      driver: 'bridge',
      created: new Date().toISOString(),
      subnet: formatCidr(subnet),
      gateway: gatewayFor(subnet),
      ipRange: null,
      internal: false,
      attachable: false,
      dns: false,
      builtin: true,
      bridge: 'slipway0',
      labels: {},
      options: { 'com.docker.network.bridge.default_bridge': 'true', [BRIDGE_NAME_OPT]: 'slipway0' },
    };
    networksTable.insert(this.db, row);
    return row;
  }

  private defaultBridge(): NetworkRow {
    const have = networksTable.byName(this.db, DEFAULT_BRIDGE);
    if (have) return have;
    let row!: NetworkRow;
    this.db.transaction(() => (row = this.ensureDefaultBridge())).immediate();
    return row;
  }

  /** By name, full ID or unique ID prefix (docker's order); host and none are networks too. */
  find(ref: string): NetworkRow | Pseudo | undefined {
    const s = ref.trim();
    if (!s) return undefined;
    if (s === 'host' || s === 'none') return s;
    if (s === DEFAULT_BRIDGE) return this.defaultBridge();
    const byName = networksTable.byName(this.db, s) ?? networksTable.byId(this.db, s);
    if (byName) return byName;
    if (s === pseudoId('host')) return 'host';
    if (s === pseudoId('none')) return 'none';
    if (/^[a-f0-9]+$/.test(s)) {
      const rows = networksTable.byIdPrefix(this.db, s);
      if (rows.length === 1) return rows[0];
      if (rows.length > 1) throw new ConflictError(`network ${s} is ambiguous (${rows.length} matches found on name)`);
    }
    return undefined;
  }

  /** A user-defined (or the default bridge) network, or docker's "not found". */
  private get(ref: string): NetworkRow {
    const n = this.find(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    if (typeof n === 'string') throw forbidden(`operation is not permitted on the ${n} network: containers use it through --network ${n}`);
    return n;
  }

  inspect(ref: string): NetworkResource {
    const n = this.find(ref);
    if (!n) throw new NotFoundError(`network ${ref} not found`);
    return this.resource(n);
  }

  /** docker's NetworkResource, fields in docker's order. */
  private resource(n: NetworkRow | Pseudo): NetworkResource {
    const fixed = { Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false };
    if (typeof n === 'string') {
      return {
        Name: n,
        Id: pseudoId(n),
        Created: this.defaultBridge().created,
        Scope: 'local',
        Driver: PSEUDO[n],
        EnableIPv6: false,
        IPAM: { Driver: 'default', Options: null, Config: [] },
        Internal: false,
        Attachable: false,
        ...fixed,
        Containers: {},
        Options: {},
        Labels: {},
      };
    }
    const containers: NetworkResource['Containers'] = {};
    for (const e of endpointsTable.ofNetwork(this.db, n.id)) {
      if (!e.ip) continue;
      const rec = this.engine.containers.find(e.containerId);
      if (!rec) continue;
      containers[e.containerId] = { Name: rec.name, EndpointID: e.endpointId ?? '', MacAddress: e.mac ?? '', IPv4Address: `${e.ip}/${n.subnet.split('/')[1]}`, IPv6Address: '' };
    }
    const cfg: IpamConfig = { Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway };
    return {
      Name: n.name,
      Id: n.id,
      Created: n.created,
      Scope: 'local',
      Driver: n.driver,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: n.builtin ? null : {}, Config: [cfg] },
      Internal: n.internal,
      Attachable: n.attachable,
      ...fixed,
      Containers: containers,
      Options: n.options,
      Labels: n.labels,
    };
  }

  /** docker network ls: every network (bridge, host, none included), by name, filtered. */
  list(filters: string[] = []): NetworkResource[] {
    this.defaultBridge();
    const keep = networkFilter(filters, (n) => this.activeCount(n));
    const all: (NetworkRow | Pseudo)[] = [...networksTable.all(this.db), 'host', 'none'];
    return all.map((n) => this.resource(n)).filter(keep).sort((a, b) => a.Name.localeCompare(b.Name));
  }

  private activeCount(n: NetworkResource): number {
    return Object.keys(n.Containers).length;
  }

  /** docker network rm: refused while a running container is on it (stopped ones let go, as docker). */
  remove(ref: string): NetworkRow {
    const found = this.find(ref);
    if (!found) throw new NotFoundError(`network ${ref} not found`);
    if (typeof found === 'string' || found.builtin) {
      const name = typeof found === 'string' ? found : found.name;
      throw forbidden(`${name} is a pre-defined network and cannot be removed`);
    }
    this.db
      .transaction(() => {
        const { active } = endpointsTable.countOfNetwork(this.db, found.id);
        if (active > 0) throw new ConflictError(`error while removing network: network ${found.name} id ${found.id} has active endpoints`);
        networksTable.remove(this.db, found.id);
        this.engine.store.emit('network', 'destroy', found.id, { name: found.name, type: 'bridge' });
      })
      .immediate();
    return found;
  }

  /** docker network prune: user-defined networks no running container is on. */
  prune(filters: string[] = []): string[] {
    const keep = networkFilter(filters, (n) => this.activeCount(n), ['until', 'label', 'label!']);
    const gone: string[] = [];
    for (const n of networksTable.all(this.db)) {
      if (n.builtin) continue;
      const res = this.resource(n);
      if (Object.keys(res.Containers).length || !keep(res)) continue;
      try {
        this.remove(n.id);
        gone.push(n.name);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e; // a container started meanwhile
      }
    }
    return gone;
  }

  // ------------------------------------------------------------------ containers

  /**
   * At create: the attachment HostConfig.NetworkMode names, with its settings from
   * NetworkingConfig.EndpointsConfig (--network-alias, --ip), checked against the networks that
   * exist (docker: "network X not found"). Undefined for the default network, none and host.
   */
  attachmentFor(mode: string, endpoints?: Record<string, EndpointConfig> | null): Pick<EndpointRow, 'networkId' | 'networkName' | 'aliases' | 'staticIp'> | undefined {
    const keys = Object.keys(endpoints ?? {});
    if (keys.length > 1) throw bad(`Container cannot be connected to network endpoints: ${keys.join(', ')}: give one network at create, then network connect the others`);
    const key = keys[0];
    const ep = key !== undefined ? endpoints![key]! : {};
    checkEndpointConfig(ep, key ?? '');
    const aliases = ep.Aliases ?? [];
    const ip = ep.IPAMConfig?.IPv4Address || undefined;
    if (isBuiltinMode(mode) || mode === DEFAULT_BRIDGE) {
      if (aliases.length) throw bad('network-scoped alias is supported only for containers in user defined networks');
      if (ip) throw bad('user specified IP address is supported on user defined networks only');
      if (isBuiltinMode(mode)) return undefined;
    }
    if (key !== undefined && key !== mode && key !== 'default') {
      throw bad(`NetworkingConfig.EndpointsConfig names network ${key} but HostConfig.NetworkMode is ${mode}: give the same network in both`);
    }
    const n = this.get(mode);
    return { networkId: n.id, networkName: n.name, aliases: this.checkAliases(aliases), staticIp: this.checkStaticIp(n, ip) };
  }

  /** Record an attachment (inside the caller's transaction, e.g. the container's create). */
  recordAttachment(containerId: string, a: Pick<EndpointRow, 'networkId' | 'networkName' | 'aliases' | 'staticIp'>): void {
    endpointsTable.insert(this.db, { containerId, ...a });
  }

  private checkAliases(aliases: string[] = []): string[] {
    for (const a of aliases) if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(a)) throw bad(`invalid network alias "${a}": use letters, digits, _ . -`);
    return [...new Set(aliases)];
  }

  private checkStaticIp(n: NetworkRow, ip: string | undefined): string | null {
    if (!ip) return null;
    if (n.builtin) throw bad('user specified IP address is supported on user defined networks only');
    if (!isIPv4(ip)) throw bad(`invalid IPv4 address: ${ip}`);
    const subnet = tryParseCidr(n.subnet)!;
    if (!contains(subnet, ipToInt(ip))) throw bad(`Invalid address ${ip}: It does not belong to any of this network's subnets`);
    if (ip === n.gateway) throw new ConflictError(`Address already in use: ${ip} is the gateway of network ${n.name}`);
    return ip;
  }

  /**
   * At start, before anything is mounted: host ports chosen (a port another container of this
   * store publishes counts as taken: DNAT'd ports are not bound by anyone), addresses handed
   * out, then the namespace set up (pasta, or netavark for bridge networks).
   */
  async setUpContainer(rec: ContainerRecord): Promise<NetworkState> {
    await this.tearDownContainer(rec);
    const h = rec.spec.hostConfig;
    const mode = modeOf(h);
    const wanted = mode === 'pasta' || mode === 'bridge' ? wantedBindings(h, rec.spec.config.ExposedPorts) : {};
    const held = portsTable.heldByOthers(this.db, rec.id);
    const ports = await resolveHostPorts(rec.name, wanted, (ip, port, proto) => held.some((p) => p.proto === proto && p.port === port && sameHost(p.ip, ip)));
    let plans: EndpointPlan[] = [];
    this.db
      .transaction(() => {
        recordPorts(this.db, rec, ports);
        if (mode === 'bridge') plans = this.allocate(rec, endpointsTable.ofContainer(this.db, rec.id), []);
      })
      .immediate();
    try {
      return await setupNetwork(this.root, rec, ports, plans);
    } catch (e) {
      this.releaseAll(rec.id);
      throw e;
    }
  }

  /** Addresses for these endpoints (in one IMMEDIATE transaction with the caller). */
  private allocate(rec: ContainerRecord, eps: EndpointRow[], usedIfaces: string[]): EndpointPlan[] {
    const plans: EndpointPlan[] = [];
    const ifaces = [...usedIfaces];
    for (const e of eps) {
      const n = networksTable.byId(this.db, e.networkId);
      if (!n) throw new NotFoundError(`network ${e.networkName} not found: reconnect the container (network disconnect -f ${e.networkName} ${rec.name}, then network connect)`);
      const subnet = tryParseCidr(n.subnet)!;
      let ip: string | undefined;
      if (e.staticIp) {
        const holder = endpointsTable.holderOf(this.db, n.id, e.staticIp);
        if (holder && holder !== rec.id) throw new ConflictError(`Address already in use: ${e.staticIp} on network ${n.name} is held by container ${holder.slice(0, 12)}`);
        ip = e.staticIp;
      } else {
        // a fixed address of a stopped container stays free for it only while it is stopped (as docker)
        ip = pickAddress(subnet, n.gateway, endpointsTable.usedAddresses(this.db, n.id), n.ipRange ? tryParseCidr(n.ipRange) : undefined);
        if (!ip) throw new EngineError(ErrorCode.UNAVAILABLE, `no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
      }
      const mac = macFor(ip);
      endpointsTable.setRuntime(this.db, rec.id, n.id, { ip, mac, endpointId: newId() });
      const iface = nextInterface(ifaces);
      ifaces.push(iface);
      plans.push({ network: bridgeOf(n), iface, ip, mac, aliases: [...e.aliases, shortId(rec.id)] });
    }
    return plans;
  }

  private releaseAll(containerId: string): void {
    this.db
      .transaction(() => {
        for (const e of endpointsTable.ofContainer(this.db, containerId)) if (e.ip) endpointsTable.setRuntime(this.db, containerId, e.networkId, null);
        portsTable.release(this.db, containerId);
      })
      .immediate();
  }

  /** A running container renamed: its new name answers in DNS on its networks now, as docker's. */
  async renamed(rec: ContainerRecord, oldName: string, newName: string): Promise<void> {
    if (rec.state !== 'running' || modeOf(rec.spec.hostConfig) !== 'bridge') return;
    await renameInDns(this.root, rec.id, oldName, newName);
  }

  /** At exit, failed start and rm: undo setUpContainer. Cheap when nothing was set up. */
  async tearDownContainer(rec: Pick<ContainerRecord, 'id'>): Promise<void> {
    await teardownNetwork(this.root, rec);
    this.releaseAll(rec.id);
  }

  /**
   * docker network connect: a stopped container gets the attachment for its next start, a
   * running one also gets the endpoint now (and its /etc/hosts updated).
   */
  async connect(netRef: string, ctrRef: string, req: AttachRequest = {}): Promise<void> {
    const rec = await this.engine.containers.get(ctrRef);
    const n = this.get(netRef);
    const mode = modeOf(rec.spec.hostConfig);
    if (mode === 'host') throw forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
    if (mode === 'none') throw forbidden('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    if (mode === 'pasta') throw forbidden(`container ${rec.name} uses the default network (pasta), which cannot be joined to a bridge network: create it with --network ${n.name}`);
    const attachment = { networkId: n.id, networkName: n.name, aliases: this.checkAliases(req.aliases), staticIp: this.checkStaticIp(n, req.ip) };
    const running = rec.state === 'running' || rec.state === 'paused';
    let plan: EndpointPlan | undefined;
    this.db
      .transaction(() => {
        if (endpointsTable.ofContainer(this.db, rec.id).some((e) => e.networkId === n.id)) {
          throw new ConflictError(`endpoint with name ${rec.name} already exists in network ${n.name}`);
        }
        endpointsTable.insert(this.db, { containerId: rec.id, ...attachment });
        if (running) {
          const used = (readNetworkState(this.root, rec.id)?.endpoints ?? []).map((e) => e.iface);
          [plan] = this.allocate(rec, endpointsTable.ofContainer(this.db, rec.id).filter((e) => e.networkId === n.id), used);
        }
        this.engine.store.emit('network', 'connect', n.id, { name: n.name, type: 'bridge', container: rec.id });
      })
      .immediate();
    if (!plan) return;
    try {
      await addEndpoint(this.root, rec, plan);
    } catch (e) {
      this.db.transaction(() => endpointsTable.remove(this.db, rec.id, n.id)).immediate();
      throw e;
    }
    writeEtcFiles(this.root, rec);
  }

  /** docker network disconnect [-f]: -f also lets go of a network that is gone. */
  async disconnect(netRef: string, ctrRef: string, force = false): Promise<void> {
    const rec = await this.engine.containers.get(ctrRef);
    const found = this.find(netRef);
    const eps = endpointsTable.ofContainer(this.db, rec.id);
    let ep: EndpointRow | undefined;
    if (found && typeof found !== 'string') ep = eps.find((e) => e.networkId === found.id);
    else if (!found && force) ep = eps.find((e) => e.networkName === netRef || e.networkId === netRef);
    else if (!found) throw new NotFoundError(`network ${netRef} not found`);
    else throw forbidden('container cannot be disconnected from host network or connected to host network');
    const name = typeof found === 'object' ? found.name : netRef;
    if (!ep) throw new NotFoundError(`container ${rec.id} is not connected to the network ${name}`);
    if (rec.state === 'running' || rec.state === 'paused') {
      await removeEndpoint(this.root, rec, ep.networkId);
    }
    this.db
      .transaction(() => {
        endpointsTable.remove(this.db, rec.id, ep.networkId);
        this.engine.store.emit('network', 'disconnect', ep.networkId, { name, type: 'bridge', container: rec.id });
      })
      .immediate();
    if (rec.state === 'running' || rec.state === 'paused') writeEtcFiles(this.root, rec);
  }

  /** NetworkSettings.Networks for inspect: every attachment, with addresses while running. */
  containerEndpoints(rec: ContainerRecord): Record<string, EndpointSettings> {
    const out: Record<string, EndpointSettings> = {};
    for (const e of endpointsTable.ofContainer(this.db, rec.id)) {
      const n = networksTable.byId(this.db, e.networkId);
      const live = !!e.ip;
      out[n?.name ?? e.networkName] = {
        IPAMConfig: e.staticIp ? { IPv4Address: e.staticIp } : null,
        Links: null,
        Aliases: n?.builtin ? null : [...e.aliases, shortId(rec.id)],
        NetworkID: e.networkId,
        EndpointID: live ? e.endpointId ?? '' : '',
        Gateway: live && n && !n.internal ? n.gateway : '',
        IPAddress: live ? e.ip! : '',
        IPPrefixLen: live && n ? Number(n.subnet.split('/')[1]) : 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        MacAddress: live ? e.mac ?? '' : '',
        DriverOpts: null,
      };
    }
    return out;
  }

  /** The NETWORKS column of ps: the networks a container is on, by name. */
  networkNames(rec: ContainerRecord): string[] {
    if (modeOf(rec.spec.hostConfig) !== 'bridge') return [rec.spec.hostConfig.NetworkMode];
    return endpointsTable.ofContainer(this.db, rec.id).map((e) => networksTable.byId(this.db, e.networkId)?.name ?? e.networkName).sort();
  }

  /** One line for create/run when the container's network cannot reach out (rootless without /dev/net/tun). */
  createWarnings(mode: string): string[] {
    if (isBuiltinMode(parseNetworkMode(mode)) || !isRootless()) return [];
    const p = rootlessOutboundProblem();
    return p ? [p] : [];
  }
}

/** An endpoint's settings as a create or connect request gives them (docker's EndpointSettings). */
export type EndpointConfig = NonNullable<NetworkingConfig['EndpointsConfig']>[string];

/** What an endpoint request may set here: aliases and a fixed IPv4 address; anything else is refused, never ignored. */
function checkEndpointConfig(ep: EndpointConfig, network: string): void {
  const where = `NetworkingConfig.EndpointsConfig.${network}`;
  const refuse = (field: string, v: unknown) => {
    throw bad(`${where}.${field} is not supported by Slipway yet: leave it out (got ${JSON.stringify(v).slice(0, 80)})`);
  };
  if (ep.Links?.length) refuse('Links', ep.Links);
  if (ep.MacAddress) refuse('MacAddress', ep.MacAddress);
  if (ep.DriverOpts && Object.keys(ep.DriverOpts).length) refuse('DriverOpts', ep.DriverOpts);
  if (ep.IPAMConfig?.IPv6Address) refuse('IPAMConfig.IPv6Address', ep.IPAMConfig.IPv6Address);
  if (ep.IPAMConfig?.LinkLocalIPs?.length) refuse('IPAMConfig.LinkLocalIPs', ep.IPAMConfig.LinkLocalIPs);
  if (ep.Aliases && (!Array.isArray(ep.Aliases) || !ep.Aliases.every((a) => typeof a === 'string'))) throw bad(`${where}.Aliases must be a list of strings`);
}

function bridgeOf(n: NetworkRow): BridgeNetwork {
  const mtu = Number(n.options['com.docker.network.driver.mtu'] ?? n.options.mtu ?? 0);
  return { id: n.id, name: n.name, bridge: n.bridge, subnet: n.subnet, gateway: n.gateway, internal: n.internal, dns: n.dns, ...(mtu ? { mtu } : {}) };
}

/** Two host addresses that bind the same port: equal, or either is "all addresses". */
function sameHost(a: string, b: string): boolean {
  const any = (x: string) => x === '' || x === '0.0.0.0';
  return a === b || any(a) || any(b);
}

/** The container's published host ports, checked against other containers' in the same transaction. */
function recordPorts(db: DB, rec: ContainerRecord, ports: PortMap): void {
  const held = portsTable.heldByOthers(db, rec.id);
  for (const [k, bindings] of Object.entries(ports)) {
    const proto = k.endsWith('/udp') ? 'udp' : 'tcp';
    for (const b of bindings) {
      const port = Number(b.HostPort);
      const other = held.find((p) => p.proto === proto && p.port === port && sameHost(p.ip, b.HostIp));
      if (other) {
        throw new ConflictError(`cannot start container ${rec.name}: host port ${b.HostIp}:${port}/${proto} is already published by container ${other.containerId.slice(0, 12)}: publish on another host port or stop that container`);
      }
      portsTable.hold(db, { containerId: rec.id, ip: b.HostIp, port, proto });
    }
  }
}

/**
 * docker's network filters: driver, id, label (label=K, label=K=V), name, scope, type
 * (custom|builtin), dangling (true|false), and for prune until and label!=.
 */
function networkFilter(filters: string[], active: (n: NetworkResource) => number, only?: string[]): (n: NetworkResource) => boolean {
  const tests: ((n: NetworkResource) => boolean)[] = [];
  for (const f of filters) {
    const m = /^([a-z]+)(!?=)(.*)$/.exec(f);
    if (!m) throw bad(`bad format of filter (expected name=value): ${f}`);
    const [, key, op, value] = m as unknown as [string, string, string, string];
    const k = op === '!=' ? `${key}!` : key;
    if (only ? !only.includes(k) : op === '!=' || !['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'].includes(key)) throw bad(`Invalid filter '${key}'`);
    const match = (s: string) => {
      try {
        return new RegExp(value).test(s);
      } catch {
        return s.includes(value);
      }
    };
    switch (k) {
      case 'driver':
        tests.push((n) => n.Driver === value);
        break;
      case 'id':
        tests.push((n) => n.Id.startsWith(value) || match(n.Id));
        break;
      case 'name':
        tests.push((n) => n.Name === value || match(n.Name));
        break;
      case 'scope':
        tests.push((n) => n.Scope === value);
        break;
      case 'type':
        if (value !== 'custom' && value !== 'builtin') throw bad(`invalid filter: 'type'='${value}': use custom or builtin`);
        tests.push((n) => isPredefined(n.Name) === (value === 'builtin'));
        break;
      case 'dangling':
        if (!['true', 'false', '1', '0'].includes(value)) throw bad(`invalid filter 'dangling=${value}': use true or false`);
        tests.push((n) => !isPredefined(n.Name) && (active(n) === 0) === (value === 'true' || value === '1'));
        break;
      case 'label':
      case 'label!': {
        const i = value.indexOf('=');
        const hit = (n: NetworkResource) => (i < 0 ? value in n.Labels : n.Labels[value.slice(0, i)] === value.slice(i + 1));
        tests.push(k === 'label' ? hit : (n) => !hit(n));
        break;
      }
      case 'until': {
        const until = parseTimeFilter(value, 'until filter');
        tests.push((n) => new Date(n.Created).getTime() < until);
        break;
      }
    }
  }
  return (n) => tests.every((t) => t(n));
}

const isPredefined = (name: string) => name === 'bridge' || name === 'host' || name === 'none';
