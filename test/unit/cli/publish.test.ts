import { describe, expect, it } from 'vitest';
import { parsePublish } from '../../../main/cli/flags/publish.js';
import { EngineError, ErrorCode } from '../../../main/engine/model/errors.js';
import { exitCodeFor } from '../../../main/cli/exit-codes.js';

describe('-p as docker parses it', () => {
  it.each([
    ['80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }],
    ['8080:80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }],
    ['0.0.0.0:8080:80/udp', { '80/udp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] }],
    ['127.0.0.2::53/udp', { '53/udp': [{ HostIp: '127.0.0.2', HostPort: '' }] }],
    ['[::1]:8080:80', { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] }],
    ['[::1]::80', { '80/tcp': [{ HostIp: '::1', HostPort: '' }] }],
    ['8000-8001:80-81', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '8001' }] }],
    ['9000-9010:80', { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '9000-9010' }] }],
  ])('%s', (spec, want) => expect(parsePublish(spec)).toEqual(want));

  it.each([
    ['80/sctp', 'invalid protocol "sctp"'],
    ['8000-8002:80-81', 'the host and container port ranges must have the same length'],
    ['::1:80:80', 'invalid port specification'],
    ['0:80', 'invalid host port "0"'],
    ['x:80:80', 'invalid IP address "x"'],
  ])('refuses %s', (spec, msg) => {
    expect(() => parsePublish(spec)).toThrow(msg);
    try {
      parsePublish(spec);
    } catch (e) {
      expect((e as EngineError).code).toBe(ErrorCode.INVALID);
      expect(exitCodeFor(e, 'run')).toBe(125);
    }
  });
});
