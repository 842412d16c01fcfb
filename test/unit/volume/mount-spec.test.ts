import { describe, expect, it } from 'vitest';
import { mergeTmpfsOptions, parseMountSpec, parseVolumeSpec, parseVolumesFrom, tmpfsOptionsData, validateTmpfsDestination } from '../../../main/engine/volume/mount-spec.js';
import { parseMountOptions, validateVolumeName, validateVolumeOptions } from '../../../main/engine/volume/local.js';
import { parseMountFlag, splitVolumeFlags, tmpfsFlags } from '../../../main/cli/flags/mount.js';

// The cases and words are docker's (moby daemon/volume/mounts/linux_parser_test.go, cli/opts/mount_test.go).
describe('-v specs (HostConfig.Binds)', () => {
  it('tells binds, named and anonymous volumes apart, with modes', () => {
    expect(parseVolumeSpec('/host:/ctr')).toMatchObject({ spec: { Type: 'bind' }, source: '/host', destination: '/ctr', rw: true, propagation: 'rprivate' });
    expect(parseVolumeSpec('/host/:/ctr/:ro,rshared')).toMatchObject({ source: '/host', destination: '/ctr', rw: false, mode: 'ro,rshared', propagation: 'rshared' });
    expect(parseVolumeSpec('data:/var/lib/x')).toMatchObject({ spec: { Type: 'volume' }, name: 'data', destination: '/var/lib/x', copyData: true });
    expect(parseVolumeSpec('data:/x:nocopy')).toMatchObject({ name: 'data', copyData: false });
    expect(parseVolumeSpec('/anon')).toMatchObject({ spec: { Type: 'volume' }, name: '', destination: '/anon' });
  });

  it("refuses what docker refuses, in docker's words", () => {
    expect(() => parseVolumeSpec('')).toThrow("invalid volume specification: ''");
    expect(() => parseVolumeSpec('/foo:rw')).toThrow("invalid volume specification: '/foo:rw'");
    expect(() => parseVolumeSpec('a:b:c:d')).toThrow("invalid volume specification: 'a:b:c:d'");
    expect(() => parseVolumeSpec('/a:/b:rw,ro')).toThrow('invalid mode: rw,ro');
    expect(() => parseVolumeSpec('/a:/b:bogus')).toThrow('invalid mode: bogus');
    expect(() => parseVolumeSpec('data:relative')).toThrow(`invalid volume specification: 'data:relative': invalid mount config for type "volume": invalid mount path: 'relative' mount path must be absolute`);
    expect(() => parseVolumeSpec('/a:/')).toThrow("invalid specification: destination can't be '/'");
    // a propagation is a bind option: a volume cannot have one
    expect(() => parseVolumeSpec('data:/x:rshared')).toThrow('field BindOptions must not be specified');
  });
});

describe('--mount items (HostConfig.Mounts)', () => {
  it('checks each type against its own fields', () => {
    expect(() => parseMountSpec({ Type: 'bind', Source: '/definitely/not/here', Target: '/x' })).toThrow('invalid mount config for type "bind": bind source path does not exist: /definitely/not/here');
    expect(parseMountSpec({ Type: 'bind', Source: '/definitely/not/here', Target: '/x', BindOptions: { CreateMountpoint: true } }).source).toBe('/definitely/not/here');
    expect(() => parseMountSpec({ Type: 'bind', Target: '/x' })).toThrow('field Source must not be empty');
    expect(() => parseMountSpec({ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { Propagation: 'sideways' } })).toThrow('invalid propagation mode: sideways');
    expect(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/x' })).toThrow('invalid mount config for type "tmpfs": field Source must not be specified');
    expect(() => parseMountSpec({ Type: 'volume', Target: '/x', TmpfsOptions: {} })).toThrow('field TmpfsOptions must not be specified');
    expect(() => parseMountSpec({ Type: 'npipe', Target: '/x' })).toThrow('invalid mount config for type "npipe": mount type unknown');
    expect(() => parseMountSpec({ Type: 'volume', Source: '', Target: '/x', VolumeOptions: { Subpath: 'a' } })).toThrow('must not set Subpath when using anonymous volumes');
    expect(() => parseMountSpec({ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: '../a' } })).toThrow('subpath must be a relative path within the volume');
    expect(() => parseMountSpec({ Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'nfs' } } })).toThrow('plugin "nfs" not found');
    expect(() => parseMountSpec({ Type: 'volume', Source: 'v' })).toThrow('field Target must not be empty');
  });

  it('turns tmpfs options into mount data as docker does', () => {
    expect(tmpfsOptionsData({ SizeBytes: 64 << 20, Mode: 0o1777 }, true)).toBe('ro,mode=1777,size=64m');
    expect(tmpfsOptionsData({ SizeBytes: 1000, Options: [['exec']] }, false)).toBe('size=1000,exec');
    expect(() => tmpfsOptionsData({ Options: [['suid']] }, false)).toThrow('invalid option: suid');
    expect(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=2m'])).toEqual(['nosuid', 'nodev', 'rprivate', 'exec', 'size=2m']);
  });
});

describe('--tmpfs, --volumes-from, volume names and options', () => {
  it('checks destinations, modes, names and driver options', () => {
    expect(validateTmpfsDestination('/run/')).toBe('/run');
    expect(() => validateTmpfsDestination('run')).toThrow("invalid mount path: 'run' mount path must be absolute");
    expect(parseVolumesFrom('db:ro')).toEqual({ container: 'db', rw: false });
    expect(parseVolumesFrom('db')).toEqual({ container: 'db', rw: true });
    expect(() => parseVolumesFrom('db:rshared')).toThrow('invalid mode: rshared');
    expect(() => parseVolumesFrom('db:nocopy')).toThrow('invalid mode: nocopy');
    expect(() => validateVolumeName('a')).toThrow('volume name is too short');
    expect(() => validateVolumeName('my vol')).toThrow('"my vol" includes invalid characters for a local volume name');
    expect(() => validateVolumeOptions('v', { bogus: '1' })).toThrow('create v: invalid option: "bogus"');
    expect(() => validateVolumeOptions('v', { type: 'tmpfs' })).toThrow('missing required option: "device"');
    expect(() => validateVolumeOptions('v', { o: 'size=1m', device: 'tmpfs' })).toThrow('missing required option: "type"');
    expect(parseMountOptions('bind,ro,size=1m,uid=5')).toEqual({ flags: 0x1000 | 0x1, data: 'size=1m,uid=5' });
  });
});

describe("the CLI's --mount, -v and --tmpfs", () => {
  it("parses docker's keys", () => {
    expect(parseMountFlag('type=bind,src=/a,dst=/b,readonly,bind-propagation=rslave')).toEqual({ Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rslave' } });
    expect(parseMountFlag('src=v,target=/d,volume-nocopy,volume-opt=type=tmpfs,"volume-opt=o=size=1m,uid=1"')).toEqual({
      Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, DriverConfig: { Options: { type: 'tmpfs', o: 'size=1m,uid=1' } } },
    });
    expect(parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 << 20, Mode: 0o1770 } });
  });

  it("refuses with the CLI's words", () => {
    expect(() => parseMountFlag('type=bind,nope=1')).toThrow(`invalid argument "type=bind,nope=1" for "--mount" flag: unknown option 'nope' in 'nope=1'`);
    expect(() => parseMountFlag('type=volume,target')).toThrow("invalid field 'target' must be a key=value pair");
    expect(() => parseMountFlag('type=tmpfs,dst=/t,tmpfs-mode=9')).toThrow('invalid value for tmpfs-mode: 9');
    expect(() => parseMountFlag('type=bind,src=/a,dst=/b,volume-nocopy')).toThrow("cannot mix 'volume-*' options with mount type 'bind'");
    expect(() => parseMountFlag('type=volume,dst=/b,readonly=maybe')).toThrow(`invalid value for 'readonly': invalid boolean value ("maybe")`);
    expect(() => parseMountFlag('')).toThrow('value is empty');
  });

  it('puts bare -v paths in Config.Volumes and the rest in Binds', () => {
    const r = splitVolumeFlags(['/anon', 'named:/n', '/h:/c:ro', './rel:/r']);
    expect(r.volumes).toEqual({ '/anon': {} });
    expect(r.binds.slice(0, 2)).toEqual(['named:/n', '/h:/c:ro']);
    expect(r.binds[2]).toMatch(/^\/.*\/rel:\/r$/);
    expect(tmpfsFlags(['/run', '/t:size=1m,mode=1777'])).toEqual({ '/run': '', '/t': 'size=1m,mode=1777' });
  });
});
