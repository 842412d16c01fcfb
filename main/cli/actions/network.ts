import { ErrorCode, InvalidArgumentError, cidrContains, errorMessage, isEngineError, portLines, type IpamConfig, type NetworkCreateRequest, type NetworkResource } from '../../engine/index.js';
import { withEngine } from './with-engine.js';
import { ExitCode, out } from '../output.js';
import { goTime } from '../go-time.js';
import { writeOut } from '../stdout.js';

export async function port(name: string, privatePort?: string): Promise<void> {
  await withEngine(async (engine) => {
    const rec = await engine.containers.get(name);
    const lines = portLines(engine.store.paths.root, rec, privatePort);
    writeOut(lines.map((l) => `${l}\n`).join(''));
  });
}

/** KEY=VALUE flags (--label, --opt) into a map; a bare KEY is an empty value, as docker. */
function keyValues(list: string[] = [], flag: string): Record<string, string> {
  const outMap: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    const k = i < 0 ? kv : kv.slice(0, i);
    if (!k) throw new InvalidArgumentError(`invalid argument "${kv}" for "${flag}" flag: use KEY=VALUE`);
    outMap[k] = i < 0 ? '' : kv.slice(i + 1);
  }
  return outMap;
}

/**
 * docker's CLI pairing of --subnet with the --gateway and --ip-range inside it (its
 * consolidateIpam): each gateway or range belongs to the subnet that contains it.
 */
export function ipamConfigs(subnets: string[], gateways: string[], ranges: string[]): IpamConfig[] {
  if (!subnets.length) {
    if (gateways.length || ranges.length) throw new InvalidArgumentError('every ip-range or gateway must have a corresponding subnet');
    return [];
  }
  const configs: IpamConfig[] = subnets.map((s) => ({ Subnet: s }));
  const owner = (ip: string) => configs.find((c) => cidrContains(c.Subnet!, ip));
  for (const r of ranges) {
    const c = owner(r.split('/')[0]!);
    if (!c) throw new InvalidArgumentError(`no matching subnet for range ${r}`);
    if (c.IPRange) throw new InvalidArgumentError(`cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet})`);
    c.IPRange = r;
  }
  for (const g of gateways) {
    const c = owner(g);
    if (!c) throw new InvalidArgumentError(`no matching subnet for gateway ${g}`);
    if (c.Gateway) throw new InvalidArgumentError(`cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet})`);
    c.Gateway = g;
  }
  return configs;
}

interface CreateFlags {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  internal?: boolean;
  attachable?: boolean;
  ipv6?: boolean;
  label?: string[];
  opt?: string[];
  ipamDriver?: string;
  ipamOpt?: string[];
  auxAddress?: string[];
  scope?: string;
  configOnly?: boolean;
  configFrom?: string;
  ingress?: boolean;
}

export async function create(name: string, o: CreateFlags): Promise<void> {
  const req: NetworkCreateRequest = {
    Name: name,
    Driver: o.driver,
    CheckDuplicate: true,
    Internal: !!o.internal,
    Attachable: !!o.attachable,
    EnableIPv6: !!o.ipv6,
    Ingress: !!o.ingress,
    ConfigOnly: !!o.configOnly,
    ...(o.configFrom ? { ConfigFrom: { Network: o.configFrom } } : {}),
    ...(o.scope ? { Scope: o.scope } : {}),
    Labels: keyValues(o.label, '--label'),
    Options: keyValues(o.opt, '--opt'),
    IPAM: {
      Driver: o.ipamDriver,
      Options: keyValues(o.ipamOpt, '--ipam-opt'),
      Config: ipamConfigs(o.subnet ?? [], o.gateway ?? [], o.ipRange ?? []).map((c, i) => (i === 0 && o.auxAddress?.length ? { ...c, AuxiliaryAddresses: keyValues(o.auxAddress, '--aux-address') } : c)),
    },
  };
  await withEngine((engine) => {
    const r = engine.networks.create(req);
    if (r.Warning) process.stderr.write(`WARNING: ${r.Warning}\n`);
    out(r.Id);
  });
}

/** The fields docker's `network ls --format` knows, as strings. */
function lsRow(n: NetworkResource, trunc: boolean): Record<string, string> {
  return {
    CreatedAt: goTime(n.Created),
    Driver: n.Driver,
    ID: trunc ? n.Id.slice(0, 12) : n.Id,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels).map(([k, v]) => `${k}=${v}`).join(','),
    Name: n.Name,
    Scope: n.Scope,
  };
}

const LS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export async function ls(o: { filter?: string[]; format?: string; trunc?: boolean; quiet?: boolean }): Promise<void> {
  await withEngine(async (engine) => {
    const nets = engine.networks.list(o.filter ?? []);
    const trunc = o.trunc !== false;
    if (o.quiet) {
      for (const n of nets) out(trunc ? n.Id.slice(0, 12) : n.Id);
      return;
    }
    const { formatTemplate } = await import('../format.js');
    const tpl = o.format ?? LS_TABLE;
    writeOut(formatTemplate(tpl, nets.map((n) => lsRow(n, trunc)), { headers: { ID: 'NETWORK ID' }, defaultTable: LS_TABLE.slice(6) }));
  });
}

export async function inspect(names: string[], o: { format?: string }): Promise<void> {
  const { inspectEach } = await import('./inspect-each.js');
  await inspectEach(names, (engine, n) => engine.networks.inspect(n), o);
}

export async function rm(names: string[], o: { force?: boolean }): Promise<void> {
  let failed = false;
  await withEngine((engine) => {
    for (const n of names) {
      try {
        engine.networks.remove(n);
        out(n);
      } catch (e) {
        if (o.force && isEngineError(e, ErrorCode.NOT_FOUND)) continue;
        failed = true;
        process.stderr.write(`Error: ${errorMessage(e)}\n`);
      }
    }
  });
  if (failed) throw new ExitCode(1);
}

export async function prune(o: { force?: boolean; filter?: string[] }): Promise<void> {
  if (!o.force) {
    const { confirm } = await import('./images.js');
    if (!(await confirm('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?'))) return;
  }
  await withEngine((engine) => {
    const gone = engine.networks.prune(o.filter ?? []);
    if (gone.length) writeOut(`Deleted Networks:\n${gone.map((n) => `${n}\n`).join('')}`);
  });
}

export async function connect(net: string, ctr: string, o: { alias?: string[]; ip?: string; ip6?: string; link?: string[]; linkLocalIp?: string[]; driverOpt?: string[] }): Promise<void> {
  if (o.ip6) throw new InvalidArgumentError('--ip6 is not supported: bridge networks here are IPv4 only');
  if (o.link?.length) throw new InvalidArgumentError('--link is not supported: containers on one network reach each other by name');
  if (o.linkLocalIp?.length) throw new InvalidArgumentError('--link-local-ip is not supported');
  if (o.driverOpt?.length) throw new InvalidArgumentError('--driver-opt is not supported by the bridge driver');
  await withEngine((engine) => engine.networks.connect(net, ctr, { aliases: o.alias, ip: o.ip }));
}

export async function disconnect(net: string, ctr: string, o: { force?: boolean }): Promise<void> {
  await withEngine((engine) => engine.networks.disconnect(net, ctr, !!o.force));
}
