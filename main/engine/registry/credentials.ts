import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { EngineError, ErrorCode } from '../model/errors.js';

export interface Credentials {
  username: string;
  password: string;
}

/** The parts of docker's config.json we read and write; every other key is kept as it is. */
interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

/** docker's own key for Docker Hub in config.json. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** $DOCKER_CONFIG/config.json when DOCKER_CONFIG is set, else ~/.config/slipway/auth.json. */
export function authFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  const cfg = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(cfg, 'slipway', 'auth.json');
}

/** The config.json key for a registry domain: docker.io uses docker's legacy URL key. */
export function authKey(domain: string): string {
  return domain === 'docker.io' ? DOCKER_HUB_KEY : domain;
}

function read(path: string): DockerConfig {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DockerConfig;
  } catch {
    throw new EngineError(ErrorCode.INVALID, `credentials file ${path} is not valid JSON; fix or delete it`);
  }
}

function write(path: string, cfg: DockerConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // 0600: the file holds passwords (base64 is not encryption).
  writeFileAtomic(path, `${JSON.stringify(cfg, null, '\t')}\n`, 0o600);
}

/** Keys docker and podman may have written for the same registry. */
function candidateKeys(domain: string): string[] {
  const k = authKey(domain);
  const keys = [k, `https://${domain}`, `http://${domain}`, `https://${domain}/v1/`, `https://${domain}/v2/`];
  if (domain === 'docker.io') keys.push('docker.io', 'registry-1.docker.io', 'index.docker.io');
  return [...new Set(keys)];
}

export function getCredentials(domain: string, path = authFilePath()): Credentials | undefined {
  const auths = read(path).auths ?? {};
  for (const k of candidateKeys(domain)) {
    const e = auths[k];
    if (!e) continue;
    if (e.auth) {
      const dec = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) return { username: dec.slice(0, i), password: dec.slice(i + 1) };
    }
    if (e.username && e.password) return { username: e.username, password: e.password };
  }
  return undefined;
}

/** The registries this file holds a login for, with the user name only (passwords stay put). */
export function storedLogins(path = authFilePath()): { registry: string; username: string }[] {
  const out = new Map<string, { registry: string; username: string }>();
  for (const key of Object.keys(read(path).auths ?? {})) {
    const registry = ['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io'].includes(key)
      ? 'docker.io'
      : key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!registry || out.has(registry)) continue;
    const creds = getCredentials(registry, path);
    if (creds) out.set(registry, { registry, username: creds.username });
  }
  return [...out.values()].sort((a, b) => a.registry.localeCompare(b.registry));
}

export function saveCredentials(domain: string, creds: Credentials, path = authFilePath()): void {
  const cfg = read(path);
  cfg.auths ??= {};
  cfg.auths[authKey(domain)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  write(path, cfg);
}

/** Remove every key that names this registry; false when there was nothing to remove. */
export function removeCredentials(domain: string, path = authFilePath()): boolean {
  const cfg = read(path);
  if (!cfg.auths) return false;
  let removed = false;
  for (const k of candidateKeys(domain)) {
    if (cfg.auths[k]) {
      delete cfg.auths[k];
      removed = true;
    }
  }
  if (removed) write(path, cfg);
  return removed;
}
