import { readFileSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';

/**
 * /etc/hostname, /etc/hosts and /etc/resolv.conf for a container, written into its directory
 * and bind-mounted over the image's. With --network host they are the host's, as docker does.
 */
export function writeEtcFiles(dir: string, o: { hostname: string; network: 'none' | 'host' }): { hostname: string; hosts: string; resolvConf: string } {
  const paths = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  const host = o.network === 'host';
  writeFileSync(paths.hostname, `${host ? hostHostname() : o.hostname}\n`);
  let hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';
  if (host) hosts = readOr('/etc/hosts', hosts);
  else hosts += `127.0.1.1\t${o.hostname}\n`;
  writeFileSync(paths.hosts, hosts);
  let resolv = readOr('/etc/resolv.conf', '');
  if (!host) {
    // A loopback resolver on the host is unreachable from the container's own netns.
    const lines = resolv.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
    if (!lines.some((l) => /^\s*nameserver\s/.test(l))) lines.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
    resolv = lines.filter((l, i, a) => l || i < a.length - 1).join('\n') + '\n';
  }
  writeFileSync(paths.resolvConf, resolv);
  return paths;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
