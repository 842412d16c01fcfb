import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * netavark 1.4 (podman 4's network tool) driven as podman's libnetwork does: one JSON
 * document on stdin naming the networks and this container's endpoint on each, `setup NETNS`
 * prints a status block per network; `teardown NETNS` undoes it (netavark removes the bridge
 * with its last veth, and aardvark-dns stops when its last entry goes). netavark does no IPAM
 * itself: every address is chosen by us (ipam.ts) and passed as static_ips.
 */

/** A network as netavark reads it (network_info in its input). */
export interface NetavarkNetwork {
  name: string;
  id: string;
  driver: 'bridge';
  network_interface: string;
  subnets: { subnet: string; gateway: string }[];
  ipv6_enabled: false;
  internal: boolean;
  dns_enabled: boolean;
  options?: Record<string, string>;
  ipam_options: { driver: 'host-local' };
}

/** This container on one network (networks in netavark's input). */
export interface NetavarkEndpoint {
  interface_name: string;
  static_ips: string[];
  static_mac: string;
  aliases: string[];
}

export interface NetavarkPortMapping {
  host_ip: string;
  container_port: number;
  host_port: number;
  range: number;
  protocol: 'tcp' | 'udp';
}

export interface NetavarkInput {
  container_id: string;
  container_name: string;
  networks: Record<string, NetavarkEndpoint>;
  network_info: Record<string, NetavarkNetwork>;
  port_mappings?: NetavarkPortMapping[];
  dns_servers?: string[];
}

/** What `setup` prints per network. */
export interface NetavarkStatus {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces?: Record<string, { mac_address: string; subnets?: { ipnet: string; gateway?: string }[] }>;
}

/** Where a Debian/Fedora install keeps a podman helper binary; SLIPWAY_<NAME> overrides. */
function helperBinary(name: 'netavark' | 'aardvark-dns', env: string | undefined): string | undefined {
  if (env) return env;
  for (const dir of ['/usr/lib/podman', '/usr/libexec/podman', '/usr/local/lib/podman', '/usr/local/libexec/podman']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function netavarkPath(): string {
  const p = helperBinary('netavark', process.env.SLIPWAY_NETAVARK);
  if (!p) throw new EngineError(ErrorCode.UNAVAILABLE, 'netavark was not found: install it (`apt-get install netavark aardvark-dns`) or set SLIPWAY_NETAVARK to its path');
  return p;
}

export function aardvarkPath(): string {
  const p = helperBinary('aardvark-dns', process.env.SLIPWAY_AARDVARK_DNS);
  if (!p) throw new EngineError(ErrorCode.UNAVAILABLE, 'aardvark-dns was not found: containers on a network resolve each other through it; install it (`apt-get install aardvark-dns`) or set SLIPWAY_AARDVARK_DNS');
  return p;
}

export interface NetavarkContext {
  /** netavark's --config: aardvark-dns keeps its per-network files and pid under it */
  configDir: string;
  rootless: boolean;
  /** run netavark inside this network namespace (the rootless one holding the bridges) */
  hostNetns?: string;
}

/**
 * One netavark call. Callers hold the store's network lock (file-lock.ts), as podman holds
 * its network lock: two setups must not both create the same bridge. Resolves with the
 * parsed stdout.
 */
export async function runNetavark(cmd: 'setup' | 'teardown', netns: string, input: NetavarkInput, ctx: NetavarkContext): Promise<Record<string, NetavarkStatus>> {
  mkdirSync(ctx.configDir, { recursive: true, mode: 0o700 });
  const needsDns = Object.values(input.network_info).some((n) => n.dns_enabled);
  const argv = [
    ...(ctx.hostNetns ? ['nsenter', `--net=${ctx.hostNetns}`, '--'] : []),
    netavarkPath(),
    '--config', ctx.configDir,
    `--rootless=${ctx.rootless}`,
    // a missing aardvark-dns is an error at setup (names would not resolve), not at teardown
    `--aardvark-binary=${needsDns && cmd === 'setup' ? aardvarkPath() : (helperBinary('aardvark-dns', process.env.SLIPWAY_AARDVARK_DNS) ?? '/nonexistent')}`,
    cmd, netns,
  ];
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'netavark=error' } });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => resolve({ code: 127, stdout: '', stderr: e.message }));
    p.on('close', (c) => resolve({ code: c ?? 1, stdout: out, stderr: err }));
    p.stdin!.on('error', () => {});
    p.stdin!.end(JSON.stringify(input));
  });
  if (code !== 0) throw new NetavarkError(cmd, netavarkMessage(stdout, stderr, code));
  if (cmd === 'teardown') return {};
  try {
    return JSON.parse(stdout) as Record<string, NetavarkStatus>;
  } catch {
    throw new NetavarkError(cmd, `unexpected output: ${stdout.trim().slice(0, 200)}`);
  }
}

/** netavark reports failures as {"error": "..."} on stdout; anything else is on stderr. */
function netavarkMessage(stdout: string, stderr: string, code: number): string {
  try {
    const j = JSON.parse(stdout) as { error?: string };
    if (j.error) return j.error;
  } catch {
    // not JSON
  }
  const lines = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/failed to connect to syslog/.test(l));
  return lines.join('; ') || `netavark exited ${code}`;
}

export class NetavarkError extends EngineError {
  constructor(readonly step: 'setup' | 'teardown', why: string) {
    super(ErrorCode.SYSTEM, `netavark ${step}: ${why}`);
  }
}
