import { isIP } from 'node:net';
import { DEFAULT_HOST_IP, InvalidArgumentError, type PortMap, type Proto } from '../../engine/index.js';

// -p/--publish, parsed as docker's CLI does (nat.ParsePortSpecs) into HostConfig.PortBindings;
// the engine validates the bindings again, whoever sends them.
const bad = (msg: string) => new InvalidArgumentError(msg);

function parsePortNumber(s: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw bad(`invalid ${what} "${s}" in "-p ${spec}": use a port number 1-65535 or a range such as 8000-8010`);
  return [lo, hi];
}

/**
 * One -p value, as docker parses it: [IP:][HOST:]CTR[/tcp|udp], IPv6 addresses in brackets,
 * port ranges of equal length, or a host range for a single container port (any free port in
 * it). No host port means any free port.
 */
export function parsePublish(spec: string): PortMap {
  let rest = spec.trim();
  let proto: Proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp') throw bad(`invalid protocol "${p}" in "-p ${spec}": use tcp or udp`);
    proto = p;
    rest = rest.slice(0, slash);
  }
  let ip = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') throw bad(`invalid address in "-p ${spec}": write IPv6 addresses as [::1]:8080:80`);
    ip = rest.slice(1, end);
    rest = rest.slice(end + 2);
    if (!rest.includes(':')) rest = `:${rest}`;
  }
  const parts = rest.split(':');
  let hostPart = '';
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0]!;
  else if (parts.length === 2) [hostPart, ctrPart] = parts as [string, string];
  else if (parts.length === 3 && !ip) [ip, hostPart, ctrPart] = parts as [string, string, string];
  else throw bad(`invalid port specification "${spec}": use [IP:][HOST_PORT:]CONTAINER_PORT[/PROTO], with IPv6 addresses in brackets`);
  if (ip && !isIP(ip)) throw bad(`invalid IP address "${ip}" in "-p ${spec}"`);
  const [cLo, cHi] = parsePortNumber(ctrPart, 'container port', spec);
  const out: PortMap = {};
  const add = (ctr: number, hostPort: string) => (out[`${ctr}/${proto}`] ??= []).push({ HostIp: ip || DEFAULT_HOST_IP, HostPort: hostPort });
  if (!hostPart) {
    for (let c = cLo; c <= cHi; c++) add(c, '');
    return out;
  }
  const [hLo, hHi] = parsePortNumber(hostPart, 'host port', spec);
  if (cLo === cHi) add(cLo, hLo === hHi ? String(hLo) : `${hLo}-${hHi}`);
  else if (hHi - hLo === cHi - cLo) for (let i = 0; i <= cHi - cLo; i++) add(cLo + i, String(hLo + i));
  else throw bad(`invalid port specification "${spec}": the host and container port ranges must have the same length`);
  return out;
}

/** Every -p value merged into one PortMap. */
export function portBindings(specs: string[]): PortMap {
  const out: PortMap = {};
  for (const p of specs) for (const [k, v] of Object.entries(parsePublish(p))) (out[k] ??= []).push(...v);
  return out;
}
