import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { BIN, ensureBuilt, type Run } from '../image/cli.js';

/**
 * The whole engine inside a network namespace this test makes (`ip netns add`), so the
 * bridges, veths, iptables rules and aardvark-dns that netavark sets up live there and
 * never in the host's namespace. The CLI runs as `nsenter --net=... node bin/slipway.js`:
 * only the network namespace changes, so mounts are shared with the rest of the machine
 * (ip netns exec would give each command its own mount namespace).
 */

let counter = 0;

/** The command succeeded; its stdout. */
export function ok(r: Run): string {
  expect(r.code, `exit ${r.code}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function netnsName(tag: string): string {
  return `slwt-${tag}-${process.pid % 100000}-${counter++}`;
}

export function addNetns(name: string): string {
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return `/run/netns/${name}`;
}

/** Run a command inside the namespace (for the test's own checks). */
export function inNetns(name: string, cmd: string, args: string[]): Run {
  const r = spawnSync('nsenter', [`--net=/run/netns/${name}`, cmd, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Processes that are running (zombies aside: PID 1 here may not reap) and whose argv mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.includes(needle))) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface NetnsEngine {
  ns: string;
  root: string;
  sw: (...args: string[]) => Run;
  /** Interfaces of the engine's namespace, by name. */
  links: () => string[];
  bridges: () => string[];
  /** aardvark-dns processes serving this store */
  aardvarks: () => number[];
  cleanup: () => void;
}

/** A store with the busybox fixture, and the CLI against it, inside a fresh network namespace. */
export function netnsEngine(tag: string): NetnsEngine {
  ensureBuilt();
  const ns = netnsName(tag);
  addNetns(ns);
  const { root, cleanup } = tempRoot('slipway-net-');
  const sw = (...args: string[]): Run => {
    const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, process.execPath, BIN, ...args], {
      env: { ...process.env, SLIPWAY_ROOT: root },
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    const res = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    if (res.code === 125 && /\n\s+at /.test(res.stderr)) console.error(`slipway ${args.join(' ')} -> 125\n${res.stderr}`);
    return res;
  };
  const l = sw('load', '-i', join(FIXTURES, 'busybox-docker.tar'));
  if (l.code !== 0) throw new Error(`load failed: ${l.stderr}`);
  const links = () => ip('-n', ns, '-o', 'link', 'show').split('\n').filter(Boolean).map((x) => x.split(':')[1]!.trim().split('@')[0]!);
  const bridges = () => ip('-n', ns, '-o', 'link', 'show', 'type', 'bridge').split('\n').filter(Boolean).map((x) => x.split(':')[1]!.trim());
  const aardvarks = () => processesMentioning(join(root, 'netavark'));
  return {
    ns,
    root,
    sw,
    links,
    bridges,
    aardvarks,
    cleanup: () => {
      const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
      if (ids.length) sw('rm', '-f', ...ids);
      // a failed test may leave aardvark-dns (started by netavark for this store): stop it by pid
      for (const pid of aardvarks()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
      cleanup();
    },
  };
}

export interface Outside {
  ns: string;
  /** the outside's address, and the engine namespace's address on the link between them */
  address: string;
  engineAddress: string;
  port: number;
  cleanup: () => void;
}

/**
 * "The outside": a second namespace joined to the engine's by a veth pair, with a busybox
 * httpd whose /cgi-bin/ip answers the address a request came from (to show NAT).
 */
export function outside(engineNs: string, tag: string, subnet = '10.250.0'): Outside {
  const ns = netnsName(tag);
  addNetns(ns);
  ip('link', 'add', 'slwo0', 'netns', engineNs, 'type', 'veth', 'peer', 'name', 'slwo1', 'netns', ns);
  ip('-n', engineNs, 'addr', 'add', `${subnet}.1/24`, 'dev', 'slwo0');
  ip('-n', ns, 'addr', 'add', `${subnet}.2/24`, 'dev', 'slwo1');
  ip('-n', engineNs, 'link', 'set', 'slwo0', 'up');
  ip('-n', ns, 'link', 'set', 'slwo1', 'up');
  const { root: www, cleanup } = tempRoot('slipway-outside-');
  mkdirSync(join(www, 'cgi-bin'));
  writeFileSync(join(www, 'cgi-bin', 'ip'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n');
  chmodSync(join(www, 'cgi-bin', 'ip'), 0o755);
  writeFileSync(join(www, 'index.html'), 'outside\n');
  chmodSync(www, 0o755);
  const port = 8080;
  const pidFile = join(www, 'httpd.pid');
  // busybox httpd daemonizes; -f keeps it in the foreground, so start it through sh with its pid noted
  const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, 'sh', '-c', `busybox httpd -f -p ${subnet}.2:${port} -h ${www} >/dev/null 2>&1 & echo $! > ${pidFile}`]);
  if (r.status !== 0) throw new Error('outside httpd did not start');
  return {
    ns,
    address: `${subnet}.2`,
    engineAddress: `${subnet}.1`,
    port,
    cleanup: () => {
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // gone
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
      cleanup();
      rmSync(www, { recursive: true, force: true });
    },
  };
}
