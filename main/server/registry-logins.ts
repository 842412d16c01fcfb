import { existsSync, readFileSync } from 'node:fs';
import type { RegistryLogin } from '../../shared/api.js';
import { authFilePath, EngineError, ErrorCode, getCredentials } from '../engine/index.js';

/** docker's key for Docker Hub, shown as the domain users type. */
const HUB_KEYS = new Set(['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The registries the engine's credentials file (auth.json / $DOCKER_CONFIG/config.json) holds
 * a login for, with the user name only: passwords stay in the file.
 */
export function listRegistryLogins(path = authFilePath()): RegistryLogin[] {
  if (!existsSync(path)) return [];
  let auths: Record<string, unknown>;
  try {
    auths = ((JSON.parse(readFileSync(path, 'utf8')) as { auths?: Record<string, unknown> }).auths ?? {});
  } catch {
    throw new EngineError(ErrorCode.INVALID, `credentials file ${path} is not valid JSON; fix or delete it`);
  }
  const out = new Map<string, RegistryLogin>();
  for (const key of Object.keys(auths)) {
    const registry = HUB_KEYS.has(key) ? 'docker.io' : key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!registry || out.has(registry)) continue;
    const creds = getCredentials(registry, path);
    if (creds) out.set(registry, { registry, username: creds.username });
  }
  return [...out.values()].sort((a, b) => a.registry.localeCompare(b.registry));
}
