import { isIP } from 'node:net';
import { join } from 'node:path';
import { badRequest } from './errors.js';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number; loopback: boolean };

/** Where the service listens by default: dockerd's place for root, the runtime dir rootless. */
export function defaultSocket(rootless: boolean, runtimeDir: string): string {
  return rootless ? join(runtimeDir, 'docker.sock') : '/run/slipway/docker.sock';
}

function isLoopbackHost(h: string): boolean {
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * `unix:///path`, a plain path, or `tcp://[HOST]:PORT` (podman's forms). A TCP address with no
 * host listens on loopback: the API is root on this machine, so all interfaces must be asked for.
 */
export function parseListenAddress(uri: string): ListenAddress {
  if (uri.startsWith('unix://')) {
    const path = uri.slice('unix://'.length);
    if (!path.startsWith('/')) throw badRequest(`invalid socket address ${uri}: give an absolute path, e.g. unix:///run/slipway/docker.sock`);
    return { kind: 'unix', path };
  }
  if (uri.startsWith('/')) return { kind: 'unix', path: uri };
  const m = /^tcp:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(uri);
  if (!m) throw badRequest(`invalid service address ${uri}: give unix:///PATH or tcp://[HOST]:PORT`);
  const port = Number(m[2]);
  if (port > 65535) throw badRequest(`invalid port in ${uri}: give a number from 0 to 65535`);
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { kind: 'tcp', host, port, loopback: isLoopbackHost(host) };
}

/** How a client names this address in DOCKER_HOST. */
export function dockerHost(a: ListenAddress, boundPort?: number): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  const host = isIP(a.host) === 6 ? `[${a.host}]` : a.host;
  return `tcp://${host}:${boundPort ?? a.port}`;
}
