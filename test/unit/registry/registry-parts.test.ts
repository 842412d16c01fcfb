import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenge } from '../../../main/engine/registry/challenge.js';
import { parseManifest, parsePlatform, selectPlatform } from '../../../main/engine/registry/manifest.js';
import { authFilePath, getCredentials, removeCredentials, saveCredentials } from '../../../main/engine/registry/credentials.js';
import { allowsHttp, isLoopback } from '../../../main/engine/registry/settings.js';
import { registryDomain } from '../../../main/engine/registry/login.js';
import { MediaTypes, type OCIIndex } from '../../../main/engine/image/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'slipway-reg-unit-'));
  dirs.push(d);
  return d;
}

describe('WWW-Authenticate', () => {
  it('reads Docker Hub style bearer challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
      scheme: 'bearer', realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull',
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', realm: 'Registry Realm' });
    expect(parseChallenge('')).toEqual({ scheme: 'none' });
  });
});

describe('platforms', () => {
  const index: OCIIndex = {
    schemaVersion: 2,
    manifests: [
      { mediaType: MediaTypes.ociManifest, digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: MediaTypes.ociManifest, digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: MediaTypes.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: MediaTypes.ociManifest, digest: `sha256:${'d'.repeat(64)}`, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it('picks by os/arch/variant; arm64 without a variant is v8', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64'), 'x').digest).toMatch(/a{64}/);
    expect(selectPlatform(index, parsePlatform('linux/arm64'), 'x').digest).toMatch(/b{64}/);
    expect(selectPlatform(index, parsePlatform('linux/arm/v7'), 'x').digest).toMatch(/c{64}/);
    expect(() => selectPlatform(index, parsePlatform('linux/arm/v6'), 'x')).toThrow('no image for platform linux/arm/v6 in x (it has: linux/amd64, linux/arm64/v8, linux/arm/v7)');
  });
  it('refuses malformed --platform values', () => {
    expect(() => parsePlatform('linux')).toThrow(/invalid platform "linux"/);
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64', variant: undefined });
  });
});

describe('manifests', () => {
  it('refuses schema 1, non-JSON and foreign layer types with a message naming the image', () => {
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), '', 'img:1')).toThrow(/schema 1/);
    expect(() => parseManifest(Buffer.from('<html>'), 'text/html', 'img:1')).toThrow('img:1 answered with something that is not a manifest (not JSON)');
    const helm = { schemaVersion: 2, config: { mediaType: 'x', digest: `sha256:${'a'.repeat(64)}`, size: 1 }, layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 1 }] };
    expect(() => parseManifest(Buffer.from(JSON.stringify(helm)), MediaTypes.ociManifest, 'chart:1')).toThrow(/not a container image layer/);
  });
  it('tells an index from an image manifest even without mediaType', () => {
    expect(parseManifest(Buffer.from('{"schemaVersion":2,"manifests":[]}'), '', 'x').kind).toBe('index');
  });
});

describe('credentials file', () => {
  it('follows DOCKER_CONFIG, keeps other keys, and uses docker\'s key for Docker Hub', () => {
    const d = tmp();
    const env = { DOCKER_CONFIG: d } as NodeJS.ProcessEnv;
    const file = authFilePath(env);
    expect(file).toBe(join(d, 'config.json'));
    writeFileSync(file, JSON.stringify({ credsStore: 'none', auths: { 'other.io': { auth: Buffer.from('a:b').toString('base64') } } }));
    saveCredentials('docker.io', { username: 'me', password: 'p:w' }, file);
    const cfg = JSON.parse(readFileSync(file, 'utf8')) as { credsStore: string; auths: Record<string, unknown> };
    expect(cfg.credsStore).toBe('none');
    expect(Object.keys(cfg.auths).sort()).toEqual(['https://index.docker.io/v1/', 'other.io']);
    expect(getCredentials('docker.io', file)).toEqual({ username: 'me', password: 'p:w' });
    expect(getCredentials('other.io', file)).toEqual({ username: 'a', password: 'b' });
    expect(removeCredentials('docker.io', file)).toBe(true);
    expect(getCredentials('docker.io', file)).toBeUndefined();
  });
  it('defaults to ~/.config/slipway/auth.json', () => {
    expect(authFilePath({ XDG_CONFIG_HOME: '/cfg' } as NodeJS.ProcessEnv)).toBe('/cfg/slipway/auth.json');
  });
});

describe('insecure registries', () => {
  it('allows http for loopback and listed registries only', () => {
    const d = tmp();
    expect(isLoopback('localhost:5000')).toBe(true);
    expect(isLoopback('127.0.0.1:5000')).toBe(true);
    expect(isLoopback('[::1]:5000')).toBe(true);
    expect(isLoopback('registry.local:5000')).toBe(false);
    const env = { XDG_CONFIG_HOME: d } as NodeJS.ProcessEnv;
    expect(allowsHttp('registry.local:5000', env)).toBe(false);
    rmSync(join(d, 'slipway'), { recursive: true, force: true });
    mkdirSync(join(d, 'slipway'));
    writeFileSync(join(d, 'slipway', 'registries.json'), JSON.stringify({ insecure: ['registry.local:5000'] }));
    expect(allowsHttp('registry.local:5000', env)).toBe(true);
    expect(allowsHttp('ghcr.io', env)).toBe(false);
  });
  it('accepts the registry forms docker login accepts', () => {
    expect(registryDomain('https://index.docker.io/v1/')).toBe('docker.io');
    expect(registryDomain('http://127.0.0.1:5000/')).toBe('127.0.0.1:5000');
  });
});
