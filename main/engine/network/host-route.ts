import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Cidr } from './ipam.js';

interface RouteRow {
  iface: string;
  /** destination, mask and gateway as 32-bit numbers in network order */
  dest: number;
  mask: number;
  gateway: number;
  up: boolean;
}

/** /proc/net/route prints addresses in host (little-endian) byte order. */
function hexAddr(h: string): number {
  const n = Number.parseInt(h, 16);
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

/** The IPv4 routes of the namespace this process runs in. */
function routeRows(): RouteRow[] {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => ({ iface: f[0]!, dest: hexAddr(f[1]!), gateway: hexAddr(f[2]!), mask: hexAddr(f[7]!), up: (Number.parseInt(f[3] ?? '0', 16) & 0x1) === 1 }));
}

const dotted = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

/**
 * The host's first IPv4 default route and that interface's address: what pasta copies into
 * the container (same address, same gateway), so /etc/hosts can name them without asking
 * the namespace. Undefined when the host has no IPv4 default route.
 */
export function hostDefaultRoute(): { iface: string; gateway: string; address?: string; prefixLen?: number } | undefined {
  const first = routeRows().find((r) => r.dest === 0 && r.mask === 0 && r.up);
  if (!first) return undefined;
  const a = (networkInterfaces()[first.iface] ?? []).find((x) => x.family === 'IPv4');
  return { iface: first.iface, gateway: dotted(first.gateway), address: a?.address, prefixLen: a?.cidr ? Number(a.cidr.split('/')[1]) : undefined };
}

/** Every routed IPv4 destination but the default route: subnets a new network must not overlap (as docker checks). */
export function routedSubnets(): Cidr[] {
  return routeRows()
    .filter((r) => r.mask !== 0)
    .map((r) => ({ base: r.dest, prefix: Math.clz32(~r.mask >>> 0) }));
}
