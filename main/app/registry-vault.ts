import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RegistryLogin } from '../../shared/api.js';
import type { Handlers } from '../server/dispatch.js';
import type { TaskRunner } from '../server/tasks.js';
import { Credentials, Engine, EngineError, ErrorCode, NotFoundError, parseReference, RegistryClient, registryDomain, writeFileAtomic } from '../engine/index.js';

/** The part of Electron's safeStorage we use (OS keychain-backed encryption). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Registry logins made in the desktop app: the password is kept encrypted by safeStorage in a
 * file under the app's data folder, never in plain auth.json. The user name stays readable so
 * the list can show it without asking the keychain.
 */
export class RegistryVault {
  constructor(
    private readonly file: string,
    private readonly safe: SafeStorageLike,
  ) {}

  private read(): Record<string, { username: string; password: string }> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, { username: string; password: string }>;
    } catch {
      throw new EngineError(ErrorCode.INVALID, `the app's registry logins file ${this.file} is not valid JSON; delete it and log in again`);
    }
  }

  private write(all: Record<string, { username: string; password: string }>): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file, `${JSON.stringify(all, null, 2)}\n`, 0o600);
  }

  save(domain: string, creds: Credentials): void {
    if (!this.safe.isEncryptionAvailable()) throw new EngineError(ErrorCode.UNAVAILABLE, 'the system keychain is not available, so the password cannot be stored safely; log in with `slipway login` instead');
    const all = this.read();
    all[domain] = { username: creds.username, password: this.safe.encryptString(creds.password).toString('base64') };
    this.write(all);
  }

  get(domain: string): Credentials | undefined {
    const e = this.read()[domain];
    if (!e) return undefined;
    return { username: e.username, password: this.safe.decryptString(Buffer.from(e.password, 'base64')) };
  }

  remove(domain: string): boolean {
    const all = this.read();
    if (!all[domain]) return false;
    delete all[domain];
    this.write(all);
    return true;
  }

  list(): RegistryLogin[] {
    return Object.entries(this.read())
      .map(([registry, e]) => ({ registry, username: e.username }))
      .sort((a, b) => a.registry.localeCompare(b.registry));
  }
}

function domainOf(ref: string): string {
  try {
    return parseReference(ref).domain;
  } catch {
    return '';
  }
}

/**
 * The registry methods as the desktop app answers them: logins go to the vault (checked
 * against the registry first), and pulls and pushes carry the vault's login for their
 * registry, falling back to the engine's auth file when the app holds none.
 */
export function vaultHandlers(engine: Engine, tasks: TaskRunner, vault: RegistryVault): Pick<Handlers, 'registry.login' | 'registry.logout' | 'registry.list' | 'images.pull' | 'images.push'> {
  return {
    'registry.login': async ({ registry, username, password, tlsVerify }) => {
      const domain = registryDomain(registry);
      const client = new RegistryClient(domain, { credentials: { username, password }, tlsVerify });
      try {
        await client.checkLogin();
      } finally {
        client.close();
      }
      vault.save(domain, { username, password });
      return { registry: domain };
    },
    'registry.logout': ({ registry }) => {
      const domain = registryDomain(registry);
      return { registry: domain, removed: vault.remove(domain) };
    },
    'registry.list': () => vault.list(),
    'images.pull': ({ ref, tlsVerify }) => ({ task: tasks.runOp(engine, 'pull', `Pull ${ref}`, { ref, tlsVerify, credentials: vault.get(domainOf(ref)) }) }),
    'images.push': ({ ref, tlsVerify }) => {
      if (!engine.images.find(ref)) throw new NotFoundError(`No such image: ${ref}; tag a local image with that name first`);
      return { task: tasks.runOp(engine, 'push', `Push ${ref}`, { ref, tlsVerify, credentials: vault.get(domainOf(ref)) }) };
    },
  };
}
