import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ok, netnsEngine, inNetns, type NetnsEngine } from './netns-engine.js';
import type { Run } from '../image/cli.js';
import { Engine } from '../../../main/engine/index.js';

// Every bad input to the network verbs and to run --network: one line on stderr in docker's
// words, docker's exit code, and nothing half-made (no row, no bridge, no netns, no config).
const BUSYBOX = 'localhost/busybox';
let e: NetnsEngine;

beforeAll(() => {
  e = netnsEngine('errors');
});
afterAll(() => e?.cleanup());

/** One line, this exit code, these words. */
function fails(r: Run, code: number, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (typeof message === 'string') expect(lines[0]).toBe(`Error: ${message}`);
  else expect(lines[0]).toMatch(message);
}

const names = () => ok(e.sw('network', 'ls', '--format', '{{.Name}}')).split('\n').filter(Boolean);

/** Nothing of a network was made: no bridge, no container namespace, no aardvark-dns, no name files. */
function nothingSetUp(): void {
  expect(e.bridges()).toEqual([]);
  expect(e.links()).toEqual(['lo']);
  const netns = join(e.root, 'netns');
  expect(existsSync(netns) ? readdirSync(netns) : []).toEqual([]);
  expect(e.aardvarks()).toEqual([]);
  const dns = join(e.root, 'netavark', 'aardvark-dns');
  expect(existsSync(dns) ? readdirSync(dns) : []).toEqual([]);
}

describe('network create refuses, and makes nothing', () => {
  beforeAll(() => {
    ok(e.sw('network', 'create', '--subnet', '10.10.0.0/24', '--label', 'app=one', 'first'));
  });

  it('a name in use, a predefined name, an overlapping subnet, a bad CIDR', () => {
    fails(e.sw('network', 'create', 'first'), 1, 'network with name first already exists');
    fails(e.sw('network', 'create', 'bridge'), 1, 'operation is not permitted on predefined bridge network');
    fails(e.sw('network', 'create', 'host'), 1, 'operation is not permitted on predefined host network');
    fails(e.sw('network', 'create', '--subnet', '10.10.0.128/25', 'inner'), 1, 'Pool overlaps with other one on this address space');
    fails(e.sw('network', 'create', '--subnet', '10.0.0.0/8', 'outer'), 1, 'Pool overlaps with other one on this address space');
    fails(e.sw('network', 'create', '--subnet', '10.1.2.3/99', 'badcidr'), 1, 'Invalid subnet 10.1.2.3/99 : invalid CIDR address: 10.1.2.3/99');
    fails(e.sw('network', 'create', '--subnet', 'foo', 'badcidr'), 1, 'Invalid subnet foo : invalid CIDR address: foo');
    expect(names()).toEqual(['bridge', 'first', 'host', 'none']);
  });

  it('gateways and ranges outside the subnet, or without one; drivers and options it does not have', () => {
    fails(e.sw('network', 'create', '--gateway', '10.20.0.1', 'gw'), 1, 'every ip-range or gateway must have a corresponding subnet');
    fails(e.sw('network', 'create', '--subnet', '10.20.0.0/24', '--gateway', '10.21.0.1', 'gw'), 1, 'no matching subnet for gateway 10.21.0.1');
    fails(e.sw('network', 'create', '--subnet', '10.20.0.0/24', '--ip-range', '10.21.0.0/28', 'gw'), 1, 'no matching subnet for range 10.21.0.0/28');
    fails(e.sw('network', 'create', '-d', 'foo', 'drv'), 1, 'plugin "foo" not found');
    fails(e.sw('network', 'create', '-d', 'macvlan', 'drv'), 1, /^Error: network driver macvlan is not supported/);
    fails(e.sw('network', 'create', '--ipv6', 'six'), 1, /^Error: IPv6 networks are not supported yet/);
    fails(e.sw('network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', 'opt'), 1, /^Error: com\.docker\.network\.bridge\.enable_icc=false is not supported/);
    fails(e.sw('network', 'create', '-o', 'frobnicate=1', 'opt'), 1, /^Error: unsupported bridge network option frobnicate/);
    fails(e.sw('network', 'create', '-o', 'com.docker.network.bridge.name=this-is-far-too-long', 'opt'), 1, /^Error: invalid com\.docker\.network\.bridge\.name/);
    expect(names()).toEqual(['bridge', 'first', 'host', 'none']);
    nothingSetUp();
  });

  it('subnets come from docker\'s pools, skipping what the namespace already routes', () => {
    // a route this test adds (in the engine's own test namespace) takes 172.18.0.0/16 out of the pool
    expect(inNetns(e.ns, 'ip', ['route', 'add', '172.18.3.0/24', 'dev', 'lo']).code).toBe(0);
    ok(e.sw('network', 'create', 'auto1'));
    ok(e.sw('network', 'create', 'auto2'));
    expect(inNetns(e.ns, 'ip', ['route', 'del', '172.18.3.0/24', 'dev', 'lo']).code).toBe(0);
    expect(ok(e.sw('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}', 'auto1', 'auto2')).trim().split('\n')).toEqual([
      '172.19.0.0/16 172.19.0.1',
      '172.20.0.0/16 172.20.0.1',
    ]);
    ok(e.sw('network', 'rm', 'auto1', 'auto2'));
  });
});

describe('unknown networks and containers', () => {
  it('inspect, rm, connect and disconnect of a network that does not exist', () => {
    const i = e.sw('network', 'inspect', 'nosuch');
    expect(i.code).toBe(1);
    expect(i.stdout.trim()).toBe('[]');
    expect(i.stderr.trim()).toBe('Error: network nosuch not found');
    fails(e.sw('network', 'rm', 'nosuch'), 1, 'network nosuch not found');
    ok(e.sw('create', '--name', 'idle', '--network', 'first', BUSYBOX, 'true'));
    fails(e.sw('network', 'connect', 'nosuch', 'idle'), 1, 'network nosuch not found');
    fails(e.sw('network', 'disconnect', 'nosuch', 'idle'), 1, 'network nosuch not found');
    fails(e.sw('network', 'connect', 'first', 'nobody'), 1, 'No such container: nobody');
  });

  it('run --network with an unknown network, an alias or --ip where they cannot be: exit 125, no container', () => {
    fails(e.sw('run', '--name', 'x1', '--network', 'nosuch', BUSYBOX, 'true'), 125, 'network nosuch not found');
    fails(e.sw('run', '--name', 'x2', '--network-alias', 'db', BUSYBOX, 'true'), 125, 'network-scoped alias is supported only for containers in user defined networks');
    fails(e.sw('run', '--name', 'x3', '--network', 'bridge', '--ip', '172.17.0.9', BUSYBOX, 'true'), 125, 'user specified IP address is supported on user defined networks only');
    fails(e.sw('run', '--name', 'x4', '--network', 'first', '--ip', '10.99.0.9', BUSYBOX, 'true'), 125, "Invalid address 10.99.0.9: It does not belong to any of this network's subnets");
    fails(e.sw('run', '--name', 'x5', '--network', 'container:idle', BUSYBOX, 'true'), 125, /^Error: --network container:idle is not supported/);
    expect(ok(e.sw('ps', '-a', '--format', '{{.Names}}')).trim()).toBe('idle');
    nothingSetUp();
  });

  it('an API client\'s endpoint settings it does not honour are refused, naming the field', async () => {
    const engine = new Engine(e.root);
    try {
      const create = (endpoint: Record<string, unknown>, mode = 'first') =>
        engine.containers.create({ name: 'api1', Config: { Image: BUSYBOX, Cmd: ['true'] }, HostConfig: { NetworkMode: mode }, NetworkingConfig: { EndpointsConfig: { [mode]: endpoint } } });
      await expect(create({ Links: ['idle'] })).rejects.toThrow(/^NetworkingConfig\.EndpointsConfig\.first\.Links is not supported by Slipway yet/);
      await expect(create({ IPAMConfig: { IPv6Address: 'fd00::5' } })).rejects.toThrow(/^NetworkingConfig\.EndpointsConfig\.first\.IPAMConfig\.IPv6Address is not supported/);
      await expect(engine.containers.create({ name: 'api1', Config: { Image: BUSYBOX }, HostConfig: { NetworkMode: 'first' }, NetworkingConfig: { EndpointsConfig: { first: {}, second: {} } } })).rejects.toThrow(/^Container cannot be connected to network endpoints: first, second/);
      // zero values, as clients send them, are fine
      const rec = await create({ Aliases: ['api'], IPAMConfig: {}, Links: [], MacAddress: '' });
      expect(engine.networks.containerEndpoints(rec).first?.Aliases).toEqual(['api', rec.id.slice(0, 12)]);
      await engine.containers.remove(rec.id);
    } finally {
      engine.close();
    }
  });

  it('connect twice, disconnect of a network it is not on, connect of host and none containers', () => {
    fails(e.sw('network', 'connect', 'first', 'idle'), 1, 'endpoint with name idle already exists in network first');
    ok(e.sw('network', 'create', 'second'));
    const id = ok(e.sw('inspect', '-f', '{{.Id}}', 'idle')).trim();
    fails(e.sw('network', 'disconnect', 'second', 'idle'), 1, `container ${id} is not connected to the network second`);
    ok(e.sw('create', '--name', 'hosty', '--network', 'host', BUSYBOX, 'true'));
    fails(e.sw('network', 'connect', 'second', 'hosty'), 1, 'container sharing network namespace with another container or host cannot be connected to any other network');
    ok(e.sw('create', '--name', 'loner', '--network', 'none', BUSYBOX, 'true'));
    fails(e.sw('network', 'connect', 'second', 'loner'), 1, 'container cannot be connected to multiple networks with one of the networks in private (none) mode');
    ok(e.sw('rm', 'hosty', 'loner'));
    ok(e.sw('network', 'rm', 'second'));
  });
});

describe('removing networks', () => {
  it('rm is refused while a running container is on the network, with docker\'s words', () => {
    ok(e.sw('run', '-d', '--name', 'busy', '--network', 'first', BUSYBOX, 'sleep', '300'));
    const id = ok(e.sw('network', 'inspect', '-f', '{{.Id}}', 'first')).trim();
    fails(e.sw('network', 'rm', 'first'), 1, `error while removing network: network first id ${id} has active endpoints`);
    expect(names()).toContain('first');
    ok(e.sw('rm', '-f', 'busy'));
  });

  it('a start that fails (address in use) leaves nothing set up', () => {
    ok(e.sw('run', '-d', '--name', 'holder', '--network', 'first', '--ip', '10.10.0.50', BUSYBOX, 'sleep', '300'));
    ok(e.sw('create', '--name', 'clash', '--network', 'first', '--ip', '10.10.0.50', BUSYBOX, 'sleep', '300'));
    fails(e.sw('start', 'clash'), 1, /^Error: Address already in use: 10\.10\.0\.50 on network first/);
    expect(e.links().filter((l) => l.startsWith('veth'))).toHaveLength(1);
    expect(readdirSync(join(e.root, 'netns'))).toHaveLength(1);
    ok(e.sw('rm', '-f', 'holder', 'clash'));
    nothingSetUp();
  });

  it('rm with stopped containers attached goes through (as docker); their start then names the missing network', () => {
    ok(e.sw('network', 'rm', 'first'));
    fails(e.sw('start', 'idle'), 1, /^Error: network first not found/);
    ok(e.sw('network', 'disconnect', '-f', 'first', 'idle'));
    expect(ok(e.sw('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'idle')).trim()).toBe('{}');
    ok(e.sw('rm', 'idle'));
  });

  it('prune removes unused networks, with label and until filters', () => {
    ok(e.sw('network', 'create', '--label', 'keep=yes', 'kept'));
    ok(e.sw('network', 'create', 'gone1'));
    ok(e.sw('network', 'create', 'used'));
    ok(e.sw('run', '-d', '--name', 'user', '--network', 'used', BUSYBOX, 'sleep', '300'));
    expect(ok(e.sw('network', 'prune', '-f', '--filter', 'until=1h')).trim()).toBe('');
    expect(ok(e.sw('network', 'prune', '-f', '--filter', 'label!=keep=yes')).trim().split('\n')).toEqual(['Deleted Networks:', 'gone1']);
    expect(names()).toEqual(['bridge', 'host', 'kept', 'none', 'used']);
    fails(e.sw('network', 'prune', '-f', '--filter', 'driver=bridge'), 1, "Invalid filter 'driver'");
    fails(e.sw('network', 'ls', '--filter', 'foo=bar'), 1, "Invalid filter 'foo'");
    expect(ok(e.sw('network', 'ls', '--filter', 'label=keep', '-q')).trim()).toBe(ok(e.sw('network', 'inspect', '-f', '{{.Id}}', 'kept')).trim().slice(0, 12));
    expect(ok(e.sw('network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}')).trim()).toBe('kept');
    ok(e.sw('rm', '-f', 'user'));
    expect(ok(e.sw('network', 'prune', '-f')).trim().split('\n')).toEqual(['Deleted Networks:', 'kept', 'used']);
    expect(names()).toEqual(['bridge', 'host', 'none']);
    nothingSetUp();
  });
});
