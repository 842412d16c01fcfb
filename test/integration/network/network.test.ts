import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX, containerStore, fullId } from '../container/helpers.js';
import { BIN, type Run } from '../image/cli.js';

// Loopback only: every server here listens on 127.0.0.1 and is closed by this file.
let s: ReturnType<typeof containerStore>;
const EXPOSED = 'localhost/exposed:1';
beforeAll(() => {
  s = containerStore();
  // an image that EXPOSEs two ports, for -P
  expect(s.sw('create', '--name', 'base', '--network', 'none', BUSYBOX, 'true').code).toBe(0);
  expect(s.sw('commit', '-c', 'EXPOSE 80', '-c', 'EXPOSE 8443/tcp', 'base', EXPOSED).code).toBe(0);
});
afterAll(() => s?.cleanup());

/** slipway without blocking this process (the host-side server must keep answering). */
function swAsync(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_ROOT: s.root }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function listen(port = 0, onConn: (c: import('node:net').Socket) => void = (c) => c.end()): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer(onConn);
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port }, () => resolve(srv));
  });
}
const portOf = (srv: Server) => (srv.address() as { port: number }).port;
const close = (srv: Server) => new Promise<void>((r) => srv.close(() => r()));

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const srv = await listen();
  const p = portOf(srv);
  await close(srv);
  return p;
}

/** GET http://127.0.0.1:port/ until the container's httpd answers (it starts after `run -d` returns). */
async function fetchText(port: number, ms = 10_000): Promise<string> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
      return await r.text();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on 127.0.0.1:${port}: ${String(last)}`);
}

/** busybox httpd serving `text` on port 80 (and 8443), in the foreground as the container's command. */
const httpd = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && httpd -p 8443 -h /www && exec httpd -f -p 80 -h /www`];

/** Processes whose command line names `needle` (pasta is started with the netns path), zombies aside. */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.includes(needle))) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function netnsLeft(id: string): { file: boolean; mounted: boolean; pasta: number[] } {
  const path = join(s.root, 'netns', id);
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  return { file: existsSync(path), mounted, pasta: processesMentioning(path) };
}

describe('published ports', () => {
  it('serves a container port on the host port given, shown by ps, port and inspect', async () => {
    const hostPort = await freePort();
    const r = s.sw('run', '-d', '--name', 'web', '-p', `127.0.0.1:${hostPort}:80`, BUSYBOX, ...httpd('hello-web'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fetchText(hostPort)).toBe('hello-web\n');
    expect(s.sw('ps', '--filter', 'name=web', '--format', '{{.Ports}}').stdout).toBe(`127.0.0.1:${hostPort}->80/tcp\n`);
    expect(s.sw('port', 'web').stdout).toBe(`80/tcp -> 127.0.0.1:${hostPort}\n`);
    expect(s.sw('port', 'web', '80').stdout).toBe(`127.0.0.1:${hostPort}\n`);
    expect(s.sw('container', 'port', 'web', '80/tcp').stdout).toBe(`127.0.0.1:${hostPort}\n`);
    const missing = s.sw('port', 'web', '81');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("Error: No public port '81/tcp' published for web\n");
    const ports = JSON.parse(s.sw('inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web').stdout);
    expect(ports).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
    const bindings = JSON.parse(s.sw('inspect', '-f', '{{json .HostConfig.PortBindings}}', 'web').stdout);
    expect(bindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] });
    // a restart gives the port up and binds it again
    for (let i = 0; i < 2; i++) {
      expect(s.sw('restart', '-t', '1', 'web').code).toBe(0);
      expect(await fetchText(hostPort)).toBe('hello-web\n');
    }
  });

  it('binds 127.0.0.1 and picks a free host port when only the container port is given', async () => {
    expect(s.sw('run', '-d', '--name', 'anyport', '-p', '80', BUSYBOX, ...httpd('any-port')).code).toBe(0);
    const out = s.sw('port', 'anyport', '80').stdout;
    expect(out).toMatch(/^127\.0\.0\.1:\d+\n$/);
    const port = Number(out.trim().split(':')[1]);
    expect(port).toBeGreaterThan(1023);
    expect(await fetchText(port)).toBe('any-port\n');
  });

  it('-P publishes every exposed port of the image on its own free host port', async () => {
    expect(s.sw('run', '-d', '--name', 'all', '-P', EXPOSED, ...httpd('published-all')).code).toBe(0);
    const lines = s.sw('port', 'all').stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^80\/tcp -> 127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(/^8443\/tcp -> 127\.0\.0\.1:\d+$/);
    const [p80, p8443] = lines.map((l) => Number(l.split(':').pop()));
    expect(p80).not.toBe(p8443);
    expect(await fetchText(p80!)).toBe('published-all\n');
    expect(await fetchText(p8443!)).toBe('published-all\n');
    expect(s.sw('ps', '--filter', 'name=all', '--format', '{{.Ports}}').stdout).toBe(`127.0.0.1:${p80}->80/tcp, 127.0.0.1:${p8443}->8443/tcp\n`);
  });

  it('runs two containers publishing the same container port on different host ports', async () => {
    const [a, b] = [await freePort(), await freePort()];
    expect(s.sw('run', '-d', '--name', 'twin-a', '-p', `${a}:80`, BUSYBOX, ...httpd('twin-a')).code).toBe(0);
    expect(s.sw('run', '-d', '--name', 'twin-b', '-p', `${b}:80`, BUSYBOX, ...httpd('twin-b')).code).toBe(0);
    expect(await fetchText(a)).toBe('twin-a\n');
    expect(await fetchText(b)).toBe('twin-b\n');
  });

  it('refuses a host port already in use before starting anything (exit 125), and starts once it is free', async () => {
    const blocker = await listen();
    const port = portOf(blocker);
    const r = await swAsync('run', '-d', '--name', 'clash', '-p', `${port}:80`, BUSYBOX, ...httpd('after-clash'));
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(
      `Error: cannot start container clash: host port 127.0.0.1:${port}/tcp is already in use: publish container port 80 on another host port (-p OTHER:80) or stop what is using it\n`,
    );
    expect(s.sw('ps', '-a', '--filter', 'name=clash', '--format', '{{.Status}}').stdout).toBe('Created\n');
    const id = fullId(s.sw, 'clash');
    expect(netnsLeft(id)).toEqual({ file: false, mounted: false, pasta: [] });
    await close(blocker);
    expect((await swAsync('start', 'clash')).code).toBe(0);
    expect(await fetchText(port)).toBe('after-clash\n');
  });

  it('rejects ports with --network host or none, and bad specs, before creating anything', () => {
    const host = s.sw('create', '--network', 'host', '-p', '8080:80', BUSYBOX);
    expect(host.code).toBe(125);
    expect(host.stderr).toMatch(/^Error: cannot publish ports with --network host/);
    const bad = s.sw('create', '-p', '80:70000', BUSYBOX);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toBe('Error: invalid container port "70000" in "-p 80:70000": use a port number 1-65535 or a range such as 8000-8010\n');
    expect(s.sw('create', '-p', '1.2.3:80:80', BUSYBOX).stderr).toBe('Error: invalid IP address "1.2.3" in "-p 1.2.3:80:80"\n');
  });
});

describe('reaching the host', () => {
  it("reaches a server on the host's 127.0.0.1 through the gateway (pasta's host-loopback mapping); --network none cannot", async () => {
    // The server greets and keeps the connection open; the container reads one line. (Under
    // gVisor this pasta release repeats data and never passes the host's FIN on: see README.)
    const open = new Set<import('node:net').Socket>();
    const srv = await listen(0, (c) => {
      open.add(c);
      c.on('error', () => {});
      c.write('hello-from-host\n');
    });
    const port = portOf(srv);
    try {
      // the gateway is host.containers.internal in /etc/hosts
      const script = `gw=$(grep host.containers.internal /etc/hosts | cut -f1); echo gw=$gw; timeout 5 nc $gw ${port} </dev/null | head -n 1`;
      const r = await swAsync('run', '--rm', BUSYBOX, 'sh', '-c', script);
      expect(r.stdout).toMatch(/^gw=\d+\.\d+\.\d+\.\d+\nhello-from-host\n$/);
      expect(r.code).toBe(0);
      const gw = /^gw=(.*)$/m.exec(r.stdout)![1]!;
      const none = await swAsync('run', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', `timeout 5 nc ${gw} ${port} </dev/null | head -n 1`);
      expect(none.stdout).toBe('');
      expect(none.stderr).toMatch(/nc: .*(unreachable|refused|timed out)/i);
    } finally {
      for (const c of open) c.destroy();
      await close(srv);
    }
  });

  it('has its own interface besides lo in the default network, only lo with --network none', () => {
    expect(s.sw('run', '--rm', BUSYBOX, 'ls', '/sys/class/net').stdout.split('\n').filter(Boolean).length).toBe(2);
    expect(s.sw('run', '--rm', '--network', 'none', BUSYBOX, 'ls', '/sys/class/net').stdout).toBe('lo\n');
  });
});

describe('/etc/hosts and /etc/resolv.conf', () => {
  const cat = (...flags: string[]) => s.sw('run', '--rm', ...flags, BUSYBOX, 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf').stdout.split('---\n') as [string, string];

  it('default network: pasta DNS forwarder, the container name and the host gateway', () => {
    const [hosts, resolv] = cat('--hostname', 'box');
    expect(resolv.split('\n').filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 169.254.1.1']);
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    expect(hosts).toMatch(/\n\d+\.\d+\.\d+\.\d+\tbox\n/);
    expect(hosts).toMatch(/\n\d+\.\d+\.\d+\.\d+\thost\.containers\.internal host\.docker\.internal\n$/);
  });

  it('--add-host and --dns show up, host-gateway is the gateway', () => {
    const [hosts, resolv] = cat('--add-host', 'db:10.1.2.3', '--add-host', 'me:host-gateway', '--dns', '9.9.9.9', '--dns', '1.0.0.1', '--dns-search', 'example.org');
    expect(hosts).toContain('\n10.1.2.3\tdb\n');
    const gw = /\n(\S+)\thost\.containers\.internal/.exec(hosts)![1];
    expect(hosts).toContain(`\n${gw}\tme\n`);
    expect(resolv).toBe('search example.org\nnameserver 9.9.9.9\nnameserver 1.0.0.1\n');
  });

  it("--network host: the host's resolv.conf and hosts, plus --add-host", () => {
    const [hosts, resolv] = cat('--network', 'host', '--add-host', 'db:10.1.2.3');
    const hostNs = readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim());
    expect(resolv.split('\n').filter((l) => l.startsWith('nameserver'))).toEqual(hostNs);
    expect(hosts.startsWith(readFileSync('/etc/hosts', 'utf8').replace(/\n*$/, '\n'))).toBe(true);
    expect(hosts.endsWith('10.1.2.3\tdb\n')).toBe(true);
  });

  it('--network none: no nameserver', () => {
    const [, resolv] = cat('--network', 'none');
    expect(resolv).not.toMatch(/^\s*nameserver/m);
  });
});

describe('cleanup', () => {
  it('leaves no pasta and no network namespace after the container exits, and none after rm', async () => {
    expect(s.sw('run', '-d', '--name', 'brief', '-p', '80', BUSYBOX, 'sleep', '4').code).toBe(0);
    const id = fullId(s.sw, 'brief');
    const up = netnsLeft(id);
    expect(up.file && up.mounted).toBe(true);
    expect(up.pasta).toHaveLength(1);
    expect(s.sw('wait', 'brief').stdout).toBe('0\n');
    // conmon's exit command records the exit and tears the network down shortly after
    const until = Date.now() + 10_000;
    while (Date.now() < until && (netnsLeft(id).file || netnsLeft(id).pasta.length)) await new Promise((r) => setTimeout(r, 100));
    expect(netnsLeft(id)).toEqual({ file: false, mounted: false, pasta: [] });
    expect(s.sw('port', 'brief').stdout).toBe('');
    expect(JSON.parse(s.sw('inspect', '-f', '{{json .NetworkSettings.Ports}}', 'brief').stdout)).toEqual({});
  });

  it('rm -f of running containers stops their pasta and removes their namespaces', () => {
    const ids = ['web', 'anyport', 'all', 'twin-a', 'twin-b', 'clash'].map((n) => fullId(s.sw, n));
    for (const id of ids) expect(netnsLeft(id).pasta).toHaveLength(1);
    expect(s.sw('rm', '-f', 'web', 'anyport', 'all', 'twin-a', 'twin-b', 'clash').code).toBe(0);
    for (const id of ids) expect(netnsLeft(id)).toEqual({ file: false, mounted: false, pasta: [] });
    expect(readdirSync(join(s.root, 'netns'))).toEqual([]);
  });
});
