import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ok, netnsEngine, type NetnsEngine } from './netns-engine.js';
import type { Run } from '../image/cli.js';

// User-defined bridge networks through real netavark + aardvark-dns, with the engine inside a
// network namespace this file makes (netns-engine.ts): nothing here touches the host's.
const BUSYBOX = 'localhost/busybox';
let e: NetnsEngine;

beforeAll(() => {
  e = netnsEngine('bridge');
});
afterAll(() => e?.cleanup());

/** busybox httpd answering `text` on port 80, as the container's command. */
const httpd = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

/** A client container on `net` fetching http://HOST/ (retrying while the server starts); its output. */
function fetchFrom(net: string, host: string): Run {
  const script = `for i in $(seq 1 50); do wget -qO- http://${host}/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1`;
  return e.sw('run', '--rm', '--network', net, BUSYBOX, 'sh', '-c', script);
}

describe('two containers on one network', () => {
  let shortId = '';
  beforeAll(() => {
    ok(e.sw('network', 'create', 'appnet'));
    ok(e.sw('run', '-d', '--name', 'web', '--network', 'appnet', '--network-alias', 'www', BUSYBOX, ...httpd('hello-from-web')));
    shortId = ok(e.sw('inspect', '-f', '{{.Id}}', 'web')).trim().slice(0, 12);
  });

  it('reach each other by container name, alias and short ID (aardvark-dns)', () => {
    for (const host of ['web', 'www', shortId]) {
      const r = fetchFrom('appnet', host);
      expect(r.code, `${host}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe('hello-from-web');
    }
  });

  it('a running container renamed answers by its new name at once, and no longer by the old one (as docker)', () => {
    ok(e.sw('run', '-d', '--name', 'before', '--network', 'appnet', BUSYBOX, ...httpd('renamed-ok')));
    ok(e.sw('rename', 'before', 'after'));
    const r = fetchFrom('appnet', 'after');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('renamed-ok');
    const old = e.sw('run', '--rm', '--network', 'appnet', BUSYBOX, 'sh', '-c', 'nslookup before >/dev/null 2>&1 && echo resolved; echo done');
    expect(old.stdout.trim()).toBe('done');
    ok(e.sw('rm', '-f', 'after'));
  });

  it('a container sees its address in /etc/hosts and aardvark-dns in resolv.conf', () => {
    const out = ok(e.sw('run', '--rm', '--network', 'appnet', '--hostname', 'client', BUSYBOX, 'sh', '-c', 'cat /etc/hosts /etc/resolv.conf'));
    expect(out).toMatch(/^172\.18\.0\.\d+\tclient$/m);
    expect(out).toContain('nameserver 172.18.0.1');
    expect(out).toContain('options ndots:0');
  });

  it('inspect shows docker\'s NetworkSettings.Networks; network inspect lists the container; ps names the network', () => {
    const nets = JSON.parse(ok(e.sw('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web')));
    const netId = ok(e.sw('network', 'inspect', '-f', '{{.Id}}', 'appnet')).trim();
    expect(Object.keys(nets)).toEqual(['appnet']);
    const ep = nets.appnet;
    expect(ep).toMatchObject({ NetworkID: netId, Gateway: '172.18.0.1', IPPrefixLen: 16, Aliases: ['www', shortId] });
    expect(ep.IPAddress).toMatch(/^172\.18\.0\.\d+$/);
    expect(ep.MacAddress).toMatch(/^02:42:ac:12:00:[0-9a-f]{2}$/);
    expect(ep.EndpointID).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(e.sw('inspect', '-f', '{{.HostConfig.NetworkMode}}', 'web')).trim()).toBe('appnet');
    const containers = JSON.parse(ok(e.sw('network', 'inspect', '-f', '{{json .Containers}}', 'appnet')));
    const webId = ok(e.sw('inspect', '-f', '{{.Id}}', 'web')).trim();
    expect(containers[webId]).toEqual({ Name: 'web', EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: `${ep.IPAddress}/16`, IPv6Address: '' });
    expect(ok(e.sw('ps', '--filter', 'name=web', '--format', '{{.Names}} {{.Networks}}')).trim()).toBe('web appnet');
  });

  it('a container on another network can neither resolve nor reach them', () => {
    ok(e.sw('network', 'create', 'othernet'));
    const ip = ok(e.sw('inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'web')).trim();
    const r = e.sw('run', '--rm', '--network', 'othernet', BUSYBOX, 'sh', '-c', `nslookup web >/dev/null 2>&1 && echo resolved; timeout 3 wget -qO- http://${ip}/ && echo reached; echo done`);
    expect(r.stdout.trim()).toBe('done');
  });

  it('network connect joins a running container to a second network (names on both), disconnect leaves it', () => {
    ok(e.sw('network', 'connect', '--alias', 'api', 'othernet', 'web'));
    const r = fetchFrom('othernet', 'api');
    expect(r.stdout.trim()).toBe('hello-from-web');
    expect(fetchFrom('othernet', 'web').stdout.trim()).toBe('hello-from-web');
    const nets = JSON.parse(ok(e.sw('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web')));
    expect(Object.keys(nets).sort()).toEqual(['appnet', 'othernet']);
    expect(nets.othernet.IPAddress).toMatch(/^172\.19\.0\.\d+$/);
    const hosts = ok(e.sw('exec', 'web', 'cat', '/etc/hosts'));
    expect(hosts).toContain(`${nets.othernet.IPAddress}\t`);
    expect(ok(e.sw('ps', '--filter', 'name=web', '--format', '{{.Networks}}')).trim()).toBe('appnet,othernet');
    expect(ok(e.sw('exec', 'web', 'ip', '-o', 'addr', 'show', 'eth1'))).toContain(nets.othernet.IPAddress);

    ok(e.sw('network', 'disconnect', 'othernet', 'web'));
    expect(ok(e.sw('exec', 'web', 'ip', '-o', 'link')).includes('eth1')).toBe(false);
    const after = e.sw('run', '--rm', '--network', 'othernet', BUSYBOX, 'sh', '-c', 'nslookup api >/dev/null 2>&1 && echo resolved; echo done');
    expect(after.stdout.trim()).toBe('done');
    // still fine on the first network
    expect(fetchFrom('appnet', 'www').stdout.trim()).toBe('hello-from-web');
  });

  it('a stopped container keeps its attachment without an address; start gives one again', () => {
    ok(e.sw('stop', '-t', '0', 'web'));
    const nets = JSON.parse(ok(e.sw('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'web')));
    expect(nets.appnet).toMatchObject({ IPAddress: '', EndpointID: '', MacAddress: '', Aliases: ['www', shortId] });
    expect(JSON.parse(ok(e.sw('network', 'inspect', '-f', '{{json .Containers}}', 'appnet')))).toEqual({});
    ok(e.sw('start', 'web'));
    expect(fetchFrom('appnet', 'www').stdout.trim()).toBe('hello-from-web');
  });

  it('--ip gives a fixed address', () => {
    ok(e.sw('run', '-d', '--name', 'fixed', '--network', 'appnet', '--ip', '172.18.9.9', BUSYBOX, ...httpd('fixed')));
    expect(ok(e.sw('inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}} {{.NetworkSettings.Networks.appnet.IPAMConfig.IPv4Address}}', 'fixed')).trim()).toBe('172.18.9.9 172.18.9.9');
    expect(fetchFrom('appnet', '172.18.9.9').stdout.trim()).toBe('fixed');
    ok(e.sw('rm', '-f', 'fixed'));
  });

  it('after the last container leaves: no bridge, no veth, no netns, no aardvark-dns, no name files', () => {
    expect(e.bridges().length).toBeGreaterThan(0);
    expect(e.aardvarks().length).toBe(1);
    ok(e.sw('rm', '-f', 'web'));
    expect(e.bridges()).toEqual([]);
    expect(e.links().filter((l) => l !== 'lo')).toEqual([]);
    expect(readdirSync(join(e.root, 'netns'))).toEqual([]);
    expect(e.aardvarks()).toEqual([]);
    const dnsDir = join(e.root, 'netavark', 'aardvark-dns');
    expect(existsSync(dnsDir) ? readdirSync(dnsDir) : []).toEqual([]);
    // the networks themselves stay until removed
    expect(ok(e.sw('network', 'ls', '--format', '{{.Name}}')).split('\n').filter(Boolean)).toEqual(['appnet', 'bridge', 'host', 'none', 'othernet']);
    ok(e.sw('network', 'rm', 'appnet', 'othernet'));
  });
});
