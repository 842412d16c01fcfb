import { describe, expect, it } from 'vitest';
import { containerSpec } from '../../../main/engine/container/create-config.js';
import type { ContainerCreateSpec } from '../../../main/engine/model/container-spec.js';
import { ErrorCode } from '../../../main/engine/model/errors.js';

const img = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] }, config: { Cmd: ['sh'], Env: ['PATH=/bin'], ExposedPorts: { '53/udp': {} } } };
const ID = 'a'.repeat(64);

/** What `docker create -p 8080:80 -e A=1 busybox true` sends (docker 20.10's CLI): zero values everywhere else. */
const dockerCliBody: ContainerCreateSpec = {
  Config: {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true,
    ExposedPorts: { '80/tcp': {} }, Tty: false, OpenStdin: false, StdinOnce: false, Env: ['A=1'], Cmd: ['true'],
    Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  },
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null,
    CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '',
    Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '',
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [],
    CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null,
    DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false,
    PidsLimit: null, Ulimits: null, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

describe('containers.create takes docker\'s Config + HostConfig', () => {
  it('accepts what the docker CLI sends, with its zero values, and fills in what the image gives', () => {
    const s = containerSpec(dockerCliBody, img, ID, 'overlay');
    expect([s.path, ...s.args]).toEqual(['true']);
    expect(s.config.Env).toEqual(['PATH=/bin', 'A=1']);
    expect(s.config.Hostname).toBe('aaaaaaaaaaaa');
    expect(s.config.ExposedPorts).toEqual({ '53/udp': {}, '80/tcp': {} });
    // an empty HostIp binds this machine only: nothing is published beyond it by surprise
    expect(s.hostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    expect(s.hostConfig.NetworkMode).toBe('pasta');
  });

  it('refuses, naming the field, anything it does not honour yet', () => {
    const withField = (part: 'Config' | 'HostConfig', field: string, value: unknown): ContainerCreateSpec => ({
      ...dockerCliBody,
      [part]: { ...dockerCliBody[part], [field]: value },
    });
    for (const [part, field, value] of [
      ['HostConfig', 'OomScoreAdj', 500],
      ['HostConfig', 'BlkioWeight', 300],
      ['HostConfig', 'NoSuchField', 1],
      ['Config', 'MacAddress', '02:42:ac:11:00:02'],
    ] as const) {
      expect(() => containerSpec(withField(part, field, value), img, ID, 'overlay')).toThrow(
        expect.objectContaining({ code: ErrorCode.INVALID, message: expect.stringMatching(new RegExp(`^${part}\\.${field} is not supported by Slipway yet`)) }),
      );
    }
    // healthchecks are honoured (container/health.ts): merged with the image's, checked as dockerd does
    expect(containerSpec(withField('Config', 'Healthcheck', { Test: ['CMD', 'true'], Interval: 0, Retries: 2 }), img, ID, 'overlay').config.Healthcheck).toEqual({ Test: ['CMD', 'true'], Retries: 2 });
    expect(() => containerSpec(withField('Config', 'Healthcheck', { Test: ['CMD', 'true'], Timeout: 10 }), img, ID, 'overlay')).toThrow(/^Timeout in Healthcheck cannot be less than 1ms$/);
    expect(() => containerSpec(withField('Config', 'Healthcheck', { Test: ['SOMETIMES', 'true'] }), img, ID, 'overlay')).toThrow(/unknown healthcheck type "SOMETIMES"/);
    // Shell (what CMD-SHELL healthchecks run in): the create's, else the image's
    expect(containerSpec(withField('Config', 'Shell', ['/bin/ash', '-c']), img, ID, 'overlay').config.Shell).toEqual(['/bin/ash', '-c']);
    expect(containerSpec(dockerCliBody, { ...img, config: { ...img.config, Shell: ['/bin/bash', '-c'] } }, ID, 'overlay').config.Shell).toEqual(['/bin/bash', '-c']);
    // restart policies are honoured (container/restart-policy.ts), so accepted as given
    expect(containerSpec(withField('HostConfig', 'RestartPolicy', { Name: 'on-failure', MaximumRetryCount: 2 }), img, ID, 'overlay').hostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    // endpoint settings (aliases, --ip) are honoured: the networks service checks them against the
    // network at create (test/integration/network/bridge-errors.test.ts), refusing the rest
    expect(() => containerSpec({ ...dockerCliBody, NetworkingConfig: { EndpointsConfig: { web: { Aliases: ['a'] } } } }, img, ID, 'overlay')).not.toThrow();
  });

  it('validates what it does honour, as sent by any client', () => {
    const host = (h: object): ContainerCreateSpec => ({ Config: { Image: 'i' }, HostConfig: h });
    // mounts themselves (Binds, Mounts, Tmpfs, VolumesFrom) are checked by the volume service: test/unit/volume
    expect(() => containerSpec({ Config: { Image: 'i', Volumes: ['/x'] as never } }, img, ID, 'overlay')).toThrow(/Config.Volumes must map/);
    expect(() => containerSpec(host({ PortBindings: { '70000/tcp': [] } }), img, ID, 'overlay')).toThrow(/invalid port "70000\/tcp"/);
    expect(() => containerSpec(host({ PortBindings: { '80/tcp': [{ HostIp: 'x', HostPort: '1' }] } }), img, ID, 'overlay')).toThrow(/invalid IP address "x"/);
    expect(() => containerSpec(host({ Memory: -1 }), img, ID, 'overlay')).toThrow(/HostConfig.Memory/);
    expect(() => containerSpec(host({ Runtime: 'crun' }), img, ID, 'overlay')).toThrow(/unknown runtime/);
    expect(() => containerSpec({ Config: { Image: 'i', Env: ['NOEQUALS'] } }, img, ID, 'overlay')).toThrow(/use KEY=VALUE/);
    const reset = containerSpec({ Config: { Image: 'i', Entrypoint: [''], Cmd: ['echo', 'x'] } }, { ...img, config: { Entrypoint: ['/ep'] } }, ID, 'overlay');
    expect([reset.path, ...reset.args]).toEqual(['echo', 'x']);
  });
});
