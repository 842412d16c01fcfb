import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { EngineError, ErrorCode } from '../model/errors.js';
import { DNS_FORWARD_ADDR, type PortMap } from './types.js';
import { splitPortKey } from './options.js';

/** Where pasta lives: SLIPWAY_PASTA, else Debian's /usr/bin/pasta (package passt). */
export function pastaPath(): string {
  const env = process.env.SLIPWAY_PASTA;
  if (env) return env;
  for (const p of ['/usr/bin/pasta', '/usr/local/bin/pasta', '/usr/sbin/pasta']) if (existsSync(p)) return p;
  throw new EngineError(ErrorCode.SYSTEM, 'pasta was not found: install it (`apt-get install passt`), set SLIPWAY_PASTA, or use --network none or host');
}

/** pasta's port specs for the resolved bindings: "-t 127.0.0.1/8080:80" per binding, "none" for no ports. */
export function pastaPortArgs(ports: PortMap): string[] {
  const specs = { tcp: [] as string[], udp: [] as string[] };
  for (const [k, bindings] of Object.entries(ports)) {
    const { port, proto } = splitPortKey(k);
    for (const b of bindings) specs[proto].push(`${b.HostIp ? `${b.HostIp}/` : ''}${b.HostPort}:${port}`);
  }
  const out: string[] = [];
  for (const [flag, list] of [['-t', specs.tcp], ['-u', specs.udp]] as const) {
    if (!list.length) out.push(flag, 'none');
    for (const s of list) out.push(flag, s);
  }
  return out;
}

/** pasta writes "Failed to send N bytes to syslog" when there is no syslog: not news for the user. */
function pastaMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Failed to send \d+ bytes to syslog/.test(l) && !/^pasta .*version/.test(l))
    .join('; ');
}

/**
 * Start pasta for the namespace at `netns`: it creates the tap interface there and configures
 * it (--config-net: the host's address and gateway, lo up), maps the gateway to the host's
 * loopback, forwards DNS sent to DNS_FORWARD_ADDR to the host's resolver, and binds the
 * published host ports. It binds everything before it daemonizes, so exit 0 means ready; the
 * daemon's pid is in `pidFile`. Ports bound inside the namespace are not mirrored to the host
 * (-T/-U none), and pasta quits by itself if the netns file is deleted.
 */
export async function startPasta(o: { netns: string; pidFile: string; ports: PortMap; name: string }): Promise<number> {
  rmSync(o.pidFile, { force: true });
  const args = [
    // As root this pasta release drops to "nobody" by default and then cannot enter the namespace.
    ...(process.geteuid?.() === 0 ? ['--runas', '0'] : []),
    '--config-net', '--netns', o.netns, '--quiet', '--pid', o.pidFile,
    ...pastaPortArgs(o.ports),
    '-T', 'none', '-U', 'none',
    '--dns-forward', DNS_FORWARD_ADDR,
  ];
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const p = spawn(pastaPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => resolve({ code: 127, stderr: e.message }));
    p.on('close', (c) => resolve({ code: c ?? 1, stderr: err }));
  });
  if (code !== 0) {
    const msg = pastaMessage(stderr) || `pasta exited ${code}`;
    throw new EngineError(ErrorCode.SYSTEM, `cannot start container ${o.name}: its network could not be set up: ${msg}`);
  }
  const pid = Number(readFileSync(o.pidFile, 'utf8').trim());
  if (!pid) throw new EngineError(ErrorCode.SYSTEM, `cannot start container ${o.name}: pasta did not report its pid`);
  return pid;
}

/** Is `pid` the pasta that serves `netns` (not an unrelated process that reused the pid)? */
export function isOurPasta(pid: number, netns: string): boolean {
  return ourPastaArgv(pid, netns) !== undefined;
}

/** The command line of `pid` when it is the live pasta of `netns`, else undefined. */
function ourPastaArgv(pid: number, netns: string): string[] | undefined {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  return argv.includes(netns) && !isZombie(pid) ? argv : undefined;
}

/** Does this pasta bind ports on the host (`-t`/`-u` with something other than `none`)? */
function bindsHostPorts(argv: string[]): boolean {
  return argv.some((a, i) => (a === '-t' || a === '-u') && argv[i + 1] !== 'none');
}

/** Stop the pasta serving `netns` by its pid: TERM, then KILL if it lingers. */
export async function stopPasta(pid: number, netns: string): Promise<void> {
  const argv = pid ? ourPastaArgv(pid, netns) : undefined;
  if (!argv) return;
  const holdsHostPorts = bindsHostPorts(argv);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // pasta is usually gone 1-3 ms after SIGTERM: look again soon, then less often (a fixed
  // 10 ms poll made every container's exit wait ~10 ms more than it needed)
  const pause = (i: number) => new Promise((r) => setTimeout(r, Math.min(10, 1 + i)));
  let waited = 0;
  let killed = false;
  for (let i = 0; waited < 1000 && isOurPasta(pid, netns); i++) {
    if (!killed && waited >= 400) {
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await pause(i);
    waited += Math.min(10, 1 + i);
  }
  // A dying pasta closes its sockets last, after it has freed its memory (10-40 ms here), and
  // some kernels (gVisor) only when it is reaped: with published ports, wait for that, or a
  // restart finds its own host port still taken. Without any there is nothing to wait for.
  // A zombie nobody reaps (PID 1 in some sandboxes does not) never goes: stop waiting then.
  if (!holdsHostPorts) return;
  for (let i = 0; i < 300 && existsSync(`/proc/${pid}`) && !isZombie(pid); i++) await pause(i);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function formatHostIp(ip: string): string {
  return isIPv6(ip) ? `[${ip}]` : ip;
}
