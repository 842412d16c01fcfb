import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * Which registries may be spoken to over plain http. As podman does: loopback registries
 * are allowed by default, any other one only when named — by `--tls-verify=false` on the
 * command, or in ~/.config/slipway/registries.json `{"insecure": ["host:port", ...]}`
 * (SLIPWAY_INSECURE_REGISTRIES=a,b adds more for one run).
 */
export function registriesFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const cfg = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(cfg, 'slipway', 'registries.json');
}

export function configuredInsecure(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const p = registriesFilePath(env);
  if (existsSync(p)) {
    try {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { insecure?: unknown };
      if (Array.isArray(j.insecure)) out.push(...j.insecure.filter((x): x is string => typeof x === 'string'));
    } catch {
      throw new EngineError(ErrorCode.INVALID, `${p} is not valid JSON; fix or delete it`);
    }
  }
  if (env.SLIPWAY_INSECURE_REGISTRIES) out.push(...env.SLIPWAY_INSECURE_REGISTRIES.split(',').map((s) => s.trim()).filter(Boolean));
  return out;
}

/** localhost, 127.0.0.0/8, ::1 — with or without a port. */
export function isLoopback(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(1, domain.indexOf(']')) : domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function allowsHttp(domain: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (isLoopback(domain)) return true;
  const list = configuredInsecure(env);
  const host = domain.replace(/:\d+$/, '');
  return list.includes(domain) || list.includes(host);
}

/** The host that serves the /v2/ API for a reference's domain. */
export function apiHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}
