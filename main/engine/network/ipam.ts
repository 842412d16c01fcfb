import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../model/errors.js';

/**
 * IPv4 address management for bridge networks: CIDR parsing, docker's default address pools,
 * and picking a free subnet or address. Pure functions: the caller brings what is taken
 * (the networks table, the host's routes, the running endpoints) and keeps the choice atomic.
 */

export interface Cidr {
  /** the network address as a 32-bit unsigned number */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

/** "10.1.2.0/24" -> Cidr, masked to its network address (as docker stores 10.1.2.3/24 as 10.1.2.0/24); undefined if malformed. */
export function tryParseCidr(s: string): Cidr | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(s.trim());
  if (!m || !isIPv4(m[1]!)) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 32) return undefined;
  return { base: (ipToInt(m[1]!) & mask(prefix)) >>> 0, prefix };
}

/** --subnet as docker checks it; IPv6 subnets are refused (this release does IPv4 only). */
export function parseSubnet(s: string): Cidr {
  const slash = s.indexOf('/');
  if (slash > 0 && isIPv6(s.slice(0, slash))) {
    throw new InvalidArgumentError(`IPv6 subnet ${s} is not supported: bridge networks here are IPv4 only; give an IPv4 --subnet`);
  }
  const c = tryParseCidr(s);
  if (!c) throw new InvalidArgumentError(`Invalid subnet ${s} : invalid CIDR address: ${s}`);
  // a /31 or /32 leaves no address for a container next to the gateway
  if (c.prefix > 30) throw new InvalidArgumentError(`Invalid subnet ${s} : a bridge network needs at least a /30 (a gateway and one container)`);
  return c;
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

/** Is the IPv4 address `ip` inside `cidr` (both as text)? False for anything malformed. */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = tryParseCidr(cidr);
  return !!c && isIPv4(ip) && contains(c, ipToInt(ip));
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** The first and last address a host may have (network and broadcast addresses excluded). */
export function hostRange(c: Cidr): { first: number; last: number } {
  return { first: c.base + 1, last: c.base + size(c) - 2 };
}

/** The gateway of a subnet: the given one (checked to be a host address inside it), else the first host address. */
export function gatewayFor(c: Cidr, gateway?: string): string {
  if (!gateway) return intToIp(hostRange(c).first);
  if (!isIPv4(gateway)) throw new InvalidArgumentError(`invalid gateway address ${gateway}: use an IPv4 address inside the subnet`);
  const g = ipToInt(gateway);
  const { first, last } = hostRange(c);
  if (!contains(c, g)) throw new InvalidArgumentError(`no matching subnet for gateway ${gateway}`);
  if (g < first || g > last) throw new InvalidArgumentError(`invalid gateway address ${gateway}: it is the network or broadcast address of ${formatCidr(c)}`);
  return gateway;
}

/**
 * docker's default address pools, in its order: 172.17.0.0/16 (the default `bridge`), then
 * 172.18.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 in /20 pieces.
 */
export function* defaultPools(): Generator<Cidr> {
  for (let b = 17; b <= 31; b++) yield { base: ipToInt(`172.${b}.0.0`), prefix: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: ipToInt(`192.168.${c}.0`), prefix: 20 };
}

/** The first default pool that overlaps nothing taken (other networks, the host's routes). */
export function pickSubnet(taken: Cidr[], prefer?: Cidr): Cidr {
  const free = (c: Cidr) => !taken.some((t) => overlaps(t, c));
  if (prefer && free(prefer)) return prefer;
  for (const c of defaultPools()) if (free(c)) return c;
  throw new InvalidArgumentError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network: remove unused networks (network prune) or give --subnet');
}

/**
 * The lowest free container address of a subnet (docker hands them out in order from .2),
 * never the gateway, the network or the broadcast address; `range` (--ip-range) narrows it.
 */
export function pickAddress(c: Cidr, gateway: string, used: Iterable<string>, range?: Cidr): string | undefined {
  const taken = new Set<number>([ipToInt(gateway)]);
  for (const u of used) taken.add(ipToInt(u));
  let { first, last } = hostRange(c);
  if (range) {
    first = Math.max(first, range.base);
    last = Math.min(last, range.base + size(range) - 1);
  }
  for (let ip = first; ip <= last; ip++) if (!taken.has(ip)) return intToIp(ip);
  return undefined;
}

/** docker's MAC for an address: 02:42 then the four address bytes (locally administered, stable). */
export function macFor(ip: string): string {
  return ['02', '42', ...ip.split('.').map((p) => Number(p).toString(16).padStart(2, '0'))].join(':');
}
