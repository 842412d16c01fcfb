import { describe, expect, it } from 'vitest';
import { checkImageRef, familiarName, InvalidReferenceError, normalizeTagged, parseReference, referenceProblem } from '../../../main/engine/image/reference.js';

const reason = (s: string): string | undefined => referenceProblem(s, false);

describe('image references (distribution/reference as docker 20.10 parses them)', () => {
  it('normalizes familiar names', () => {
    expect(parseReference('busybox')).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: undefined, digest: undefined });
    expect(normalizeTagged('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeTagged('me/app:1.0')).toBe('docker.io/me/app:1.0');
    expect(normalizeTagged('index.docker.io/me/app')).toBe('docker.io/me/app:latest');
    expect(normalizeTagged('localhost:5000/a/b-c__d.e:V_1.2-x')).toBe('localhost:5000/a/b-c__d.e:V_1.2-x');
    expect(normalizeTagged('UPPER.io/x')).toBe('UPPER.io/x:latest'); // upper case is allowed in a domain
    expect(parseReference('[::1]:5000/x').domain).toBe('[::1]:5000');
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`busybox:1@${d}`)).toMatchObject({ tag: '1', digest: d });
    expect(familiarName(normalizeTagged('localhost/busybox'))).toBe('localhost/busybox:latest');
  });

  it("refuses what docker refuses, in docker's words", () => {
    const L = 'docker.io/library/'.length;
    expect(reason('Busybox')).toBe('invalid reference format: repository name must be lowercase');
    expect(reason('a/B')).toBe('invalid reference format: repository name must be lowercase');
    expect(reason('busybox:a:b')).toBe('invalid reference format');
    expect(reason('busybox:')).toBe('invalid reference format');
    expect(reason('busybox@sha256:abc')).toBe('invalid reference format');
    expect(reason(`busybox@sha256:${'a'.repeat(63)}g`)).toBe('invalid reference format');
    expect(reason(`busybox@md5:${'a'.repeat(32)}`)).toBe('unsupported digest algorithm');
    expect(reason(`busybox@sha256:${'a'.repeat(40)}`)).toBe('invalid checksum digest length');
    expect(reason(`busybox@sha256:${'A'.repeat(64)}`)).toBe('invalid checksum digest format');
    expect(reason('-x')).toBe('invalid reference format');
    expect(reason('a/-x')).toBe('invalid reference format');
    expect(reason('x:-t')).toBe('invalid reference format');
    expect(reason('.x')).toBe('invalid reference format');
    expect(reason('a//b')).toBe('invalid reference format');
    expect(reason('a/../b')).toBe('invalid reference format');
    expect(reason('a/')).toBe('invalid reference format');
    expect(reason('')).toBe('invalid reference format');
    expect(reason(' busybox')).toBe('invalid reference format');
    expect(reason('a'.repeat(255 - L))).toBeUndefined();
    expect(reason('a'.repeat(256 - L))).toBe('repository name must not be more than 255 characters');
    expect(reason('f'.repeat(64))).toBe(`invalid repository name (${'f'.repeat(64)}), cannot specify 64-byte hexadecimal strings`);
    expect(() => parseReference('Busybox')).toThrow(InvalidReferenceError);
  });

  it('lookups also take image IDs; tags refuse a digest', () => {
    expect(() => checkImageRef('f'.repeat(64))).not.toThrow();
    expect(() => checkImageRef(`sha256:${'f'.repeat(64)}`)).not.toThrow();
    expect(() => checkImageRef('fbf678b4abc9')).not.toThrow();
    expect(() => normalizeTagged(`busybox@sha256:${'a'.repeat(64)}`)).toThrow('refusing to create a tag with a digest reference');
  });
});
