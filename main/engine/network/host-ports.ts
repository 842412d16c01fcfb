import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { ConflictError, EngineError, ErrorCode } from '../model/errors.js';
import type { PortMap, Proto } from './types.js';
import { splitPortKey } from './options.js';

/**
 * Bind ip:port ourselves and let go at once: the port the kernel gave (or the one asked for),
 * or the errno code when it is taken. Port 0 = any free port.
 */
function tryBind(ip: string, port: number, proto: Proto): Promise<{ port: number } | { code: string }> {
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const s = createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code ?? 'EADDRINUSE' }));
      s.listen({ host: ip, port, exclusive: true }, () => {
        const got = (s.address() as { port: number }).port;
        s.close(() => resolve({ port: got }));
      });
    } else {
      const s = createSocket(isIPv6(ip) ? 'udp6' : 'udp4');
      s.once('error', (e: NodeJS.ErrnoException) => {
        s.close();
        resolve({ code: e.code ?? 'EADDRINUSE' });
      });
      s.bind({ address: ip, port, exclusive: true }, () => {
        const got = s.address().port;
        s.close(() => resolve({ port: got }));
      });
    }
  });
}

function describe(ip: string, port: number | string, proto: Proto): string {
  return `${isIPv6(ip) ? `[${ip}]` : ip}:${port}/${proto}`;
}

function bindError(name: string, ip: string, port: number | string, proto: Proto, ctrPort: number, code: string): EngineError {
  if (code === 'EADDRINUSE') {
    return new ConflictError(`cannot start container ${name}: host port ${describe(ip, port, proto)} is already in use: publish container port ${ctrPort} on another host port (-p ${ip === '127.0.0.1' ? '' : `${ip}:`}OTHER:${ctrPort}) or stop what is using it`);
  }
  if (code === 'EADDRNOTAVAIL') return new EngineError(ErrorCode.INVALID, `cannot start container ${name}: ${ip} is not an address of this host: publish on one of its addresses (or leave the address out for 127.0.0.1)`);
  if (code === 'EACCES') return new EngineError(ErrorCode.FORBIDDEN, `cannot start container ${name}: binding host port ${describe(ip, port, proto)} needs privileges: use a host port above 1023`);
  return new EngineError(ErrorCode.SYSTEM, `cannot start container ${name}: cannot bind host port ${describe(ip, port, proto)}: ${code}`);
}

/**
 * Every wanted binding -> a concrete, currently free host port: fixed ports are checked by
 * binding them ourselves (so "in use" is a clear error before the container starts, not a
 * half-started container), free ports come from the kernel, host ranges give their first free
 * port. Two bindings of one container never get the same host port, nor one that `held`
 * says another container publishes (DNAT'd ports are bound by no one).
 */
export async function resolveHostPorts(name: string, wanted: PortMap, held: (ip: string, port: number, proto: Proto) => boolean = () => false): Promise<PortMap> {
  const out: PortMap = {};
  const taken = new Set<string>();
  const key = (ip: string, port: number, proto: Proto) => `${ip}|${port}|${proto}`;
  const isTaken = (ip: string, port: number, proto: Proto) => taken.has(key(ip, port, proto)) || held(ip, port, proto);
  for (const [k, bindings] of Object.entries(wanted)) {
    const { port: ctrPort, proto } = splitPortKey(k);
    for (const b of bindings) {
      const ip = b.HostIp || '127.0.0.1';
      let port: number | undefined;
      if (b.HostPort === '') {
        for (let attempt = 0; attempt < 20 && port === undefined; attempt++) {
          const r = await tryBind(ip, 0, proto);
          if ('code' in r) throw bindError(name, ip, 'any', proto, ctrPort, r.code);
          if (!isTaken(ip, r.port, proto)) port = r.port;
        }
      } else {
        const [lo, hi = lo] = b.HostPort.split('-').map(Number) as [number, number?];
        let last = 'EADDRINUSE';
        for (let p = lo; p <= hi && port === undefined; p++) {
          if (isTaken(ip, p, proto)) continue;
          const r = await tryBind(ip, p, proto);
          if ('port' in r) port = p;
          else last = r.code;
        }
        if (port === undefined) throw bindError(name, ip, b.HostPort, proto, ctrPort, last);
      }
      if (port === undefined) throw new EngineError(ErrorCode.UNAVAILABLE, `cannot start container ${name}: no free host port was found for ${ctrPort}/${proto}`);
      taken.add(key(ip, port, proto));
      (out[k] ??= []).push({ HostIp: ip, HostPort: String(port) });
    }
  }
  return out;
}
