import { readFileSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { parseExtraHost } from './options.js';
import { DNS_FORWARD_ADDR, type EndpointState, type NetworkMode } from './types.js';

export interface EtcInput {
  hostname: string;
  mode: NetworkMode;
  extraHosts?: string[] | null;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** pasta mode: the container's address and the gateway that leads to the host's loopback */
  address?: string;
  gateway?: string;
  /** bridge mode: the networks joined (addresses, gateways, aardvark-dns servers) */
  endpoints?: Pick<EndpointState, 'address' | 'gateway' | 'dns'>[];
}

const LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** /etc/hosts as docker writes it: localhost block (or the host's file with --network host), --add-host entries, then the container's own name. */
export function hostsFile(i: EtcInput, hostHosts = readOr('/etc/hosts', LOCALHOST)): string {
  let out = i.mode === 'host' ? hostHosts.replace(/\n*$/, '\n') : LOCALHOST;
  for (const h of i.extraHosts ?? []) {
    const { name, ip } = parseExtraHost(h);
    // docker's host-gateway: the host itself; with pasta that is the gateway, mapped to the
    // host's loopback; on a bridge network the bridge's own address
    const hostAddr = i.mode === 'pasta' ? i.gateway : i.mode === 'bridge' ? i.endpoints?.find((e) => e.gateway)?.gateway : '127.0.0.1';
    const addr = ip === 'host-gateway' ? hostAddr ?? '127.0.0.1' : ip;
    out += `${addr}\t${name}\n`;
  }
  if (i.mode === 'pasta') {
    if (i.address) out += `${i.address}\t${i.hostname}\n`;
    if (i.gateway) out += `${i.gateway}\thost.containers.internal host.docker.internal\n`;
  } else if (i.mode === 'bridge' && i.endpoints?.length) {
    for (const e of i.endpoints) out += `${e.address}\t${i.hostname}\n`;
  } else if (i.mode === 'none' || i.mode === 'bridge') out += `127.0.1.1\t${i.hostname}\n`;
  return out;
}

/**
 * /etc/resolv.conf for the mode: host = the host's; default (pasta) = pasta's DNS forwarder
 * (a loopback resolver on the host works too, which the host's file could not offer); none =
 * no nameserver. A bridge network with names = its aardvark-dns (which forwards the rest to
 * --dns or the host's servers) with ndots:0 as docker's embedded DNS; the default bridge =
 * the host's servers that work from a container (not loopback ones). --dns, --dns-search and
 * --dns-option replace the matching lines.
 */
export function resolvConf(i: EtcInput, hostResolv = readOr('/etc/resolv.conf', '')): string {
  const lines = hostResolv.split('\n');
  const pick = (kw: string) => lines.filter((l) => new RegExp(`^\\s*${kw}\\s`).test(l)).map((l) => l.trim());
  const aardvark = [...new Set((i.endpoints ?? []).flatMap((e) => e.dns))];
  let ns: string[];
  if (i.mode === 'bridge' && aardvark.length) {
    const search = i.dnsSearch?.length ? [`search ${i.dnsSearch.join(' ')}`] : pick('(?:search|domain)');
    const opts = ['ndots:0', ...(i.dnsOptions ?? [])];
    return [...search, ...aardvark.map((a) => `nameserver ${a}`), `options ${[...new Set(opts)].join(' ')}`].join('\n') + '\n';
  }
  if (i.dns?.length) ns = i.dns.map((d) => `nameserver ${d}`);
  else if (i.mode === 'bridge') ns = pick('nameserver').filter((l) => !/\s(127\.|::1$)/.test(l));
  else if (i.mode === 'host') ns = pick('nameserver');
  else if (i.mode === 'pasta') ns = [`nameserver ${DNS_FORWARD_ADDR}`];
  else ns = [];
  const search = i.dnsSearch?.length ? [`search ${i.dnsSearch.join(' ')}`] : i.mode === 'none' ? [] : pick('(?:search|domain)');
  const options = i.dnsOptions?.length ? [`options ${i.dnsOptions.join(' ')}`] : i.mode === 'none' ? [] : pick('options');
  const head = i.mode === 'none' && !ns.length ? ['# --network none: the container has no network, so no nameserver'] : [];
  return [...head, ...search, ...ns, ...options].join('\n') + '\n';
}

/** Write hostname, hosts and resolv.conf into the container dir (bind-mounted over the image's). */
export function writeNetworkEtcFiles(dir: string, i: EtcInput): { hostname: string; hosts: string; resolvConf: string } {
  const paths = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
  writeFileSync(paths.hostname, `${i.mode === 'host' ? hostHostname() : i.hostname}\n`);
  writeFileSync(paths.hosts, hostsFile(i));
  writeFileSync(paths.resolvConf, resolvConf(i));
  return paths;
}
