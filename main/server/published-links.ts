import { ContainerRecord, livePorts } from '../engine/index.js';

/**
 * The host ports a running container publishes, as http links: a wildcard bind (0.0.0.0, ::)
 * is reached at localhost; an IPv6 address goes in brackets.
 */
export function publishedLinks(root: string, rec: ContainerRecord): { url: string; label: string }[] {
  const out: { url: string; label: string }[] = [];
  for (const [containerPort, bindings] of Object.entries(livePorts(root, rec))) {
    for (const b of bindings ?? []) {
      if (!b.HostPort) continue;
      const ip = b.HostIp || '0.0.0.0';
      const host = ip === '0.0.0.0' || ip === '::' ? 'localhost' : ip.includes(':') ? `[${ip}]` : ip;
      out.push({ url: `http://${host}:${b.HostPort}`, label: `${host}:${b.HostPort}→${containerPort}` });
    }
  }
  return out;
}
