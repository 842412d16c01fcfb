import { RegistryClient } from './client.js';
import { saveCredentials, removeCredentials, authFilePath, type Credentials } from './credentials.js';
import { InvalidArgumentError } from '../model/errors.js';

/** docker accepts `login https://host/` as well as `login host`. */
export function registryDomain(input: string): string {
  const s = input.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!s) throw new InvalidArgumentError('login needs a registry name, e.g. `slipway login registry.example.com`');
  if (s === 'index.docker.io' || s === 'registry-1.docker.io') return 'docker.io';
  return s;
}

/** Check the credentials against the registry without storing them (the Engine API's /auth). */
export async function checkLogin(registry: string, creds: Credentials, opts: { tlsVerify?: boolean } = {}): Promise<string> {
  const domain = registryDomain(registry);
  if (!creds.username) throw new InvalidArgumentError('username is empty');
  if (!creds.password) throw new InvalidArgumentError('password is empty');
  const client = new RegistryClient(domain, { credentials: creds, tlsVerify: opts.tlsVerify });
  try {
    await client.checkLogin();
  } finally {
    client.close();
  }
  return domain;
}

/** Check the credentials against the registry, then store them; nothing is stored on failure. */
export async function login(registry: string, creds: Credentials, opts: { tlsVerify?: boolean } = {}): Promise<{ domain: string; file: string }> {
  const domain = await checkLogin(registry, creds, opts);
  saveCredentials(domain, creds);
  return { domain, file: authFilePath() };
}

export function logout(registry: string): { domain: string; removed: boolean } {
  const domain = registryDomain(registry);
  return { domain, removed: removeCredentials(domain) };
}
