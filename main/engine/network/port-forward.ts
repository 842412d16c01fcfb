import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { EngineError, ErrorCode } from '../model/errors.js';
import { bundleEntry } from '../util/bundle-entry.js';
import { splitPortKey } from './options.js';
import type { PortMap } from './types.js';

/**
 * Published ports of a rootless container on a bridge network. Its address lives in the
 * store's rootless namespace, which the host cannot route to, so (as podman's rootlessport)
 * we bind the host ports here and hand the sockets to a forwarder that runs inside that
 * namespace (port-forwarder.ts) and relays to the container.
 */

function forwarderEntry(): string {
  const found = bundleEntry('port-forwarder');
  if (found) return found;
  throw new EngineError(ErrorCode.SYSTEM, 'the port forwarder (port-forwarder.cjs) is not built: run `npm run build` in the Slipway checkout');
}

function bindTcp(ip: string, port: number): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen({ host: ip, port, exclusive: true }, () => res(s));
  });
}

function bindUdp(ip: string, port: number): Promise<UdpSocket> {
  return new Promise((res, rej) => {
    const s = createSocket(isIPv6(ip) ? 'udp6' : 'udp4');
    s.once('error', rej);
    s.bind({ address: ip, port, exclusive: true }, () => res(s));
  });
}

/**
 * Bind every published host port and start the forwarder in `netns` relaying them to
 * `targetIp`. Resolves with its pid once it holds all the sockets.
 */
export async function startPortForwarder(o: { netns: string; containerId: string; name: string; ports: PortMap; targetIp: string }): Promise<number> {
  const listens: { proto: 'tcp' | 'udp'; target: { ip: string; port: number } }[] = [];
  const handles: (Server | UdpSocket)[] = [];
  const closeAll = () => {
    for (const h of handles) {
      try {
        h.close();
      } catch {
        // closed already
      }
    }
  };
  let child: ChildProcess | undefined;
  try {
    for (const [k, bindings] of Object.entries(o.ports)) {
      const { port, proto } = splitPortKey(k);
      for (const b of bindings) {
        const ip = b.HostIp || '0.0.0.0';
        handles.push(proto === 'tcp' ? await bindTcp(ip, Number(b.HostPort)) : await bindUdp(ip, Number(b.HostPort)));
        listens.push({ proto, target: { ip: o.targetIp, port } });
      }
    }
    child = spawn('nsenter', [`--net=${o.netns}`, '--', process.execPath, forwarderEntry(), o.containerId], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      cwd: '/',
      env: { ...process.env, SLIPWAY_FORWARD: JSON.stringify(listens) },
    });
    const c = child;
    const ready = new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error('it did not answer within 10 s')), 10_000);
      c.once('message', () => {
        clearTimeout(timer);
        res();
      });
      c.once('error', (e) => rej(e));
      c.once('exit', (code) => rej(new Error(`it exited (${code})`)));
    });
    handles.forEach((h, index) => c.send({ index }, h as Server));
    await ready;
    closeAll();
    c.disconnect();
    c.unref();
    return c.pid!;
  } catch (e) {
    closeAll();
    if (child?.pid) stopPortForwarder(child.pid, o.containerId);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new EngineError(ErrorCode.CONFLICT, `cannot start container ${o.name}: a published host port was taken meanwhile: start it again`);
    throw new EngineError(ErrorCode.SYSTEM, `cannot start container ${o.name}: its port forwarder did not start: ${(e as Error).message}`);
  }
}

/** Is `pid` the forwarder of this container (not a process that reused the pid)? */
function isOurForwarder(pid: number, containerId: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(containerId) && argv.some((a) => a.endsWith('port-forwarder.cjs'));
  } catch {
    return false;
  }
}

export function stopPortForwarder(pid: number, containerId: string): void {
  if (!pid || !isOurForwarder(pid, containerId)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
