import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, netnsEngine, inNetns, outside, type NetnsEngine, type Outside } from './netns-engine.js';
import type { Run } from '../image/cli.js';

// Bridge networks and the world beyond them: outbound NAT, --internal, published ports (-p as
// netavark's DNAT rules) and docker's default `bridge` network. "The outside" is a second
// namespace made here, joined to the engine's namespace by a veth pair (netns-engine.ts).
const BUSYBOX = 'localhost/busybox';
let e: NetnsEngine;
let out: Outside;

beforeAll(() => {
  e = netnsEngine('nat');
  out = outside(e.ns, 'out');
});
afterAll(() => {
  e?.cleanup();
  out?.cleanup();
});

const httpd = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

/** GET from the engine's namespace (or another), retrying while the container's httpd starts. */
function getFrom(ns: string, url: string): Run {
  return inNetns(ns, 'sh', ['-c', `for i in $(seq 1 50); do wget -qO- ${url} 2>/dev/null && exit 0; sleep 0.1; done; exit 1`]);
}

describe('outbound and published ports', () => {
  it('a container on a network reaches the outside, which sees the engine\'s address (NAT)', () => {
    ok(e.sw('network', 'create', 'appnet'));
    const r = ok(e.sw('run', '--rm', '--network', 'appnet', BUSYBOX, 'wget', '-qO-', `http://${out.address}:${out.port}/cgi-bin/ip`));
    expect(r.trim()).toBe(out.engineAddress);
  });

  it('--internal has no way out (and no way to other networks), but its containers talk by name', () => {
    ok(e.sw('network', 'create', '--internal', 'isolated'));
    expect(ok(e.sw('network', 'inspect', '-f', '{{.Internal}}', 'isolated')).trim()).toBe('true');
    ok(e.sw('run', '-d', '--name', 'vault', '--network', 'isolated', BUSYBOX, ...httpd('secret')));
    const r = e.sw('run', '--rm', '--network', 'isolated', BUSYBOX, 'sh', '-c',
      `timeout 3 wget -qO- http://${out.address}:${out.port}/cgi-bin/ip && echo reached-outside; ip route | grep -q default && echo has-default-route;` +
      ` for i in $(seq 1 50); do wget -qO- http://vault/ 2>/dev/null && break; sleep 0.1; done`);
    expect(r.stdout.trim()).toBe('secret');
    ok(e.sw('rm', '-f', 'vault'));
  });

  it('-p publishes on the engine\'s 127.0.0.1 by default; 0.0.0.0 makes it reachable from outside', () => {
    ok(e.sw('run', '-d', '--name', 'pub', '--network', 'appnet', '-p', '8080:80', '-p', '0.0.0.0:8081:80', BUSYBOX, ...httpd('published')));
    expect(ok(e.sw('port', 'pub')).trim().split('\n')).toEqual(['80/tcp -> 127.0.0.1:8080', '80/tcp -> 0.0.0.0:8081']);
    expect(ok(e.sw('ps', '--filter', 'name=pub', '--format', '{{.Ports}}')).trim()).toBe('127.0.0.1:8080->80/tcp, 0.0.0.0:8081->80/tcp');
    expect(getFrom(e.ns, 'http://127.0.0.1:8080/').stdout.trim()).toBe('published');
    expect(getFrom(out.ns, `http://${out.engineAddress}:8081/`).stdout.trim()).toBe('published');
    // the loopback-only port is not reachable from the outside
    expect(inNetns(out.ns, 'timeout', ['3', 'wget', '-qO-', `http://${out.engineAddress}:8080/`]).code).not.toBe(0);
  });

  it('a host port another container publishes is refused at start, naming the port', () => {
    ok(e.sw('create', '--name', 'pub2', '--network', 'appnet', '-p', '8080:80', BUSYBOX, ...httpd('second')));
    const r = e.sw('start', 'pub2');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^Error: cannot start container pub2: host port 127\.0\.0\.1:8080\/tcp is already in use/);
    // nothing of it set up: only the first container's veth is on the bridge
    expect(e.links().filter((l) => l.startsWith('veth'))).toHaveLength(1);
    ok(e.sw('rm', '-f', 'pub'));
    ok(e.sw('start', 'pub2'));
    expect(getFrom(e.ns, 'http://127.0.0.1:8080/').stdout.trim()).toBe('second');
    ok(e.sw('rm', '-f', 'pub2'));
  });
});

describe('the default bridge network', () => {
  it('is listed as docker lists it, on 172.17.0.0/16 unless that is routed here', () => {
    const n = JSON.parse(ok(e.sw('network', 'inspect', 'bridge')))[0];
    expect(n).toMatchObject({ Name: 'bridge', Driver: 'bridge', Scope: 'local', IPAM: { Driver: 'default', Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] } });
    expect(n.Options['com.docker.network.bridge.default_bridge']).toBe('true');
    const ls = ok(e.sw('network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}} {{.Driver}}')).trim().split('\n');
    expect(ls).toEqual(['bridge bridge', 'host host', 'none null']);
  });

  it('--network bridge: an address on it, outbound NAT, and no names between its containers (as docker)', () => {
    ok(e.sw('run', '-d', '--name', 'b1', '--network', 'bridge', BUSYBOX, ...httpd('on-bridge')));
    const ip = ok(e.sw('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'b1')).trim();
    expect(ip).toMatch(/^172\.17\.0\.\d+$/);
    expect(ok(e.sw('inspect', '-f', '{{json .NetworkSettings.Networks.bridge.Aliases}}', 'b1')).trim()).toBe('null');
    const r = ok(e.sw('run', '--rm', '--network', 'bridge', BUSYBOX, 'sh', '-c',
      `nslookup b1 >/dev/null 2>&1 && echo resolved; for i in $(seq 1 50); do wget -qO- http://${ip}/ 2>/dev/null && break; sleep 0.1; done; wget -qO- http://${out.address}:${out.port}/cgi-bin/ip`));
    expect(r.trim().split('\n')).toEqual(['on-bridge', out.engineAddress]);
    ok(e.sw('rm', '-f', 'b1'));
  });

  it('cannot be removed, nor can host and none', () => {
    for (const n of ['bridge', 'host', 'none']) {
      const r = e.sw('network', 'rm', n);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Error: ${n} is a pre-defined network and cannot be removed`);
    }
  });

  it('leaves nothing once its last container is gone', () => {
    expect(e.bridges()).toEqual([]);
    expect(e.aardvarks()).toEqual([]);
  });
});
