import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { networkHostConfig, wantedBindings } from '../../../main/engine/network/options.js';
import { hostsFile, resolvConf } from '../../../main/engine/network/etc-files.js';
import { pastaPortArgs } from '../../../main/engine/network/pasta.js';
import { resolveHostPorts } from '../../../main/engine/network/host-ports.js';
import { parsePublish } from '../../../main/cli/flags/publish.js';

describe('the network part of HostConfig', () => {
  it('-P adds every exposed port not already published; pasta gets one spec per binding', () => {
    const h = networkHostConfig({ PortBindings: parsePublish('8080:80'), PublishAllPorts: true });
    const w = wantedBindings(h, { '80/tcp': {}, '53/udp': {}, '443': {} });
    expect(w).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    expect(pastaPortArgs({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '::1', HostPort: '8081' }] })).toEqual([
      '-t', '127.0.0.1/8080:80', '-t', '::1/8081:80', '-u', 'none',
    ]);
  });

  it('refuses bad --network, --add-host and --dns values; a network name is kept for the networks service to check', () => {
    // whether a named network exists is asked at create (test/integration/network/bridge-errors.test.ts)
    expect(networkHostConfig({ NetworkMode: 'mynet' }).NetworkMode).toBe('mynet');
    expect(() => networkHostConfig({ NetworkMode: 'container:web' })).toThrow('--network container:web is not supported');
    expect(() => networkHostConfig({ ExtraHosts: ['db'] })).toThrow('invalid argument "db" for "--add-host" flag');
    expect(() => networkHostConfig({ Dns: ['dns.example'] })).toThrow('invalid argument "dns.example" for "--dns" flag');
    expect(() => networkHostConfig({ NetworkMode: 'none', PublishAllPorts: true })).toThrow('cannot publish ports with --network none');
    // `bridge` is docker's default bridge network now; the words for the default network stay pasta
    expect(networkHostConfig({ NetworkMode: 'bridge' }).NetworkMode).toBe('bridge');
    for (const w of ['default', 'pasta', 'private', 'slirp4netns', '']) expect(networkHostConfig({ NetworkMode: w }).NetworkMode).toBe('pasta');
  });
});

describe('host ports', () => {
  it('gives distinct free ports, the first free one of a range, and names a taken port', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const got = await resolveHostPorts('c1', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }, { HostIp: '127.0.0.1', HostPort: '' }] });
      const [a, b] = got['80/tcp']!.map((x) => Number(x.HostPort));
      expect(a).toBeGreaterThan(0);
      expect(a).not.toBe(b);
      // a wide range: other tests running at the same time may hold the port next to ours
      const ranged = await resolveHostPorts('c1', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: `${taken}-${taken + 20}` }] });
      const picked = Number(ranged['80/tcp']![0]!.HostPort);
      expect(picked).not.toBe(taken);
      expect(picked).toBeGreaterThan(taken);
      expect(picked).toBeLessThanOrEqual(taken + 20);
      await expect(resolveHostPorts('c1', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(taken) }] })).rejects.toThrow(
        `cannot start container c1: host port 127.0.0.1:${taken}/tcp is already in use`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('/etc files per mode', () => {
  const hostResolv = 'search corp.example\nnameserver 127.0.0.53\noptions edns0\n';
  it('default network: pasta forwarder, host search and options kept', () => {
    expect(resolvConf({ hostname: 'h', mode: 'pasta' }, hostResolv)).toBe('search corp.example\nnameserver 169.254.1.1\noptions edns0\n');
  });
  it('host: the host file as is; --dns replaces only the nameservers', () => {
    expect(resolvConf({ hostname: 'h', mode: 'host' }, hostResolv)).toBe(hostResolv);
    expect(resolvConf({ hostname: 'h', mode: 'host', dns: ['9.9.9.9'] }, hostResolv)).toBe('search corp.example\nnameserver 9.9.9.9\noptions edns0\n');
  });
  it('none: no nameserver unless asked', () => {
    expect(resolvConf({ hostname: 'h', mode: 'none' }, hostResolv)).not.toMatch(/^nameserver/m);
    expect(resolvConf({ hostname: 'h', mode: 'none', dns: ['1.1.1.1'] }, hostResolv)).toBe('nameserver 1.1.1.1\n');
  });
  it('hosts: --add-host entries, host-gateway, the container and the host gateway', () => {
    const h = hostsFile({ hostname: 'box', mode: 'pasta', address: '192.0.2.2', gateway: '192.0.2.1', extraHosts: ['db:10.0.0.5', 'me:host-gateway', 'v6:[::1]'] });
    expect(h.split('\n').slice(6)).toEqual(['10.0.0.5\tdb', '192.0.2.1\tme', '::1\tv6', '192.0.2.2\tbox', '192.0.2.1\thost.containers.internal host.docker.internal', '']);
  });
});
