import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * The host's first IPv4 default route and that interface's address: what pasta copies into
 * the container (same address, same gateway), so /etc/hosts can name them without asking
 * the namespace. Undefined when the host has no IPv4 default route.
 */
export function hostDefaultRoute(): { iface: string; gateway: string; address?: string; prefixLen?: number } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === '00000000' && f[7] === '00000000' && (Number.parseInt(f[3] ?? '0', 16) & 0x1) === 1);
  const first = rows[0];
  if (!first) return undefined;
  const gw = Number.parseInt(first[2]!, 16);
  // /proc/net/route prints the address in host (little-endian) byte order
  const gateway = [gw & 0xff, (gw >>> 8) & 0xff, (gw >>> 16) & 0xff, (gw >>> 24) & 0xff].join('.');
  const a = (networkInterfaces()[first[0]!] ?? []).find((x) => x.family === 'IPv4');
  return { iface: first[0]!, gateway, address: a?.address, prefixLen: a?.cidr ? Number(a.cidr.split('/')[1]) : undefined };
}
