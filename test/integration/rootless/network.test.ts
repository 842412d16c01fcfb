import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { FIXTURES, tempRoot } from '../../helpers/tmp-store.js';
import { ensureBuilt, slipway, type Run } from '../image/cli.js';
import { isOrdinaryUser } from './helpers.js';

// Bridge networks as an ordinary user, podman's way: the store's bridges, veths and
// aardvark-dns live in a rootless network namespace owned by the user's namespace (nothing
// here touches the host's). On this machine /dev/net/tun is not usable by the user, so
// pasta cannot connect that namespace out: containers still reach each other, and create/run
// say in one line that outbound access is missing.
const BUSYBOX = 'localhost/busybox';
let root = '';
let cleanup = () => {};
let sw: (...args: string[]) => Run;

function ok(r: Run): string {
  expect(r.stderr, `exit ${r.code}: ${r.stderr}`).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const tunUsable = (() => {
  try {
    readFileSync('/dev/net/tun');
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
})();

/** Running processes (zombies aside) whose argv mentions `needle`. */
function running(needle: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
    } catch {
      return false;
    }
  });
}

function listenOn(port = 0): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen({ host: '127.0.0.1', port }, () => res(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listenOn();
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

/** GET http://127.0.0.1:port/ until the container's httpd answers. */
async function fetchText(port: number): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
      return (await r.text()).trim();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on 127.0.0.1:${port}: ${String(last)}`);
}

beforeAll(() => {
  if (!isOrdinaryUser) throw new Error('the rootless suite must run as an ordinary user: use scripts/test-rootless.sh');
  ensureBuilt();
  ({ root, cleanup } = tempRoot('slipway-rootless-net-'));
  sw = (...args: string[]) => slipway(root, args);
  ok(sw('load', '-i', join(FIXTURES, 'busybox-docker.tar')));
});

afterAll(() => {
  if (!root) return;
  const ids = sw('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
  if (ids.length) sw('rm', '-f', ...ids);
  for (const n of ['rlnet', 'rlother']) sw('network', 'rm', n);
  cleanup();
});

describe('rootless bridge networks', () => {
  it('containers on a network reach each other by name and alias; another network cannot', () => {
    const created = sw('network', 'create', 'rlnet');
    ok(created);
    ok(sw('network', 'create', 'rlother'));
    const run = sw('run', '-d', '--name', 'web', '--network', 'rlnet', '--network-alias', 'www', BUSYBOX, 'sh', '-c', 'mkdir -p /www && echo rootless-web > /www/index.html && exec httpd -f -p 80 -h /www');
    ok(run);
    if (!tunUsable) {
      // one line each, at create and at run
      for (const r of [created, run]) expect(r.stderr.trim()).toMatch(/^WARNING: containers on this network have no outbound access: .*\/dev\/net\/tun.*; containers on the network still reach each other$/);
    }
    for (const host of ['web', 'www']) {
      const r = ok(sw('run', '--rm', '--network', 'rlnet', BUSYBOX, 'sh', '-c', `for i in $(seq 1 50); do wget -qO- http://${host}/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1`));
      expect(r.trim()).toBe('rootless-web');
    }
    const ip = ok(sw('inspect', '-f', '{{.NetworkSettings.Networks.rlnet.IPAddress}}', 'web')).trim();
    expect(ip).toMatch(/^172\.\d+\.0\.\d+$/);
    const other = sw('run', '--rm', '--network', 'rlother', BUSYBOX, 'sh', '-c', `nslookup web >/dev/null 2>&1 && echo resolved; timeout 3 wget -qO- http://${ip}/ && echo reached; echo done`);
    expect(other.stdout.trim()).toBe('done');
  });

  it('the bridges live in the store\'s rootless namespace, not in the host\'s', () => {
    const netns = join(root, 'netns', 'rootless-netns');
    expect(existsSync(netns)).toBe(true);
    // this store's bridges (slw-<network id>): root tests running beside us may have their own on the host
    const ours = ok(sw('network', 'ls', '-q', '--no-trunc')).split('\n').filter(Boolean).map((id) => `slw-${id.slice(0, 11)}`);
    expect(ours.length).toBeGreaterThan(0);
    const hostLinks = readdirSync('/sys/class/net');
    expect(hostLinks.filter((l) => ours.includes(l) || l === 'slipway0')).toEqual([]);
    expect(running(join(root, 'netavark'))).toHaveLength(1); // aardvark-dns
  });

  it('without /dev/net/tun there is no way out, and it says so', () => {
    if (tunUsable) return;
    const r = sw('run', '--rm', '--network', 'rlnet', BUSYBOX, 'sh', '-c', 'ip route; timeout 3 wget -qO- http://192.0.2.1/ && echo reached; echo done');
    expect(r.stdout.trim().split('\n').pop()).toBe('done');
  });

  it('-p publishes on the host: a forwarder in the rootless namespace relays to the container', async () => {
    const port = await freePort();
    ok(sw('run', '-d', '--name', 'pub', '--network', 'rlnet', '-p', `${port}:80`, BUSYBOX, 'sh', '-c', 'mkdir -p /www && echo rootless-published > /www/index.html && exec httpd -f -p 80 -h /www'));
    expect(ok(sw('port', 'pub')).trim()).toBe(`80/tcp -> 127.0.0.1:${port}`);
    expect(await fetchText(port)).toBe('rootless-published');
    expect(running('port-forwarder.cjs')).toHaveLength(1);
    ok(sw('rm', '-f', 'pub'));
    expect(running('port-forwarder.cjs')).toEqual([]);
    // the host port is free again
    const again = await listenOn(port);
    await new Promise<void>((r) => again.close(() => r()));
  });

  it('after the last container: no rootless namespace, no aardvark-dns', () => {
    ok(sw('rm', '-f', 'web'));
    expect(existsSync(join(root, 'netns', 'rootless-netns'))).toBe(false);
    expect(running(join(root, 'netavark'))).toEqual([]);
    expect(readdirSync(join(root, 'netns'))).toEqual([]);
  });
});
