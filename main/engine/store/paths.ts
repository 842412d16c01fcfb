import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where the store lives: SLIPWAY_ROOT, else $XDG_DATA_HOME/slipway, else ~/.local/share/slipway. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLIPWAY_ROOT) return resolve(env.SLIPWAY_ROOT);
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'slipway');
}

/** Is there a store at `root` (its database)? Opening one where there is none makes it. */
export function storeExists(root: string): boolean {
  return existsSync(new StorePaths(root).db);
}

/** Every path of the on-disk layout, in one place (see DESIGN.md "The store"). */
export class StorePaths {
  constructor(public readonly root: string) {}
  get oci(): string { return join(this.root, 'oci'); }
  get blobsDir(): string { return join(this.root, 'oci', 'blobs', 'sha256'); }
  blob(hex: string): string { return join(this.blobsDir, hex); }
  get ociIndex(): string { return join(this.root, 'oci', 'index.json'); }
  get snapshots(): string { return join(this.root, 'snapshots'); }
  snapshot(chainHex: string): string { return join(this.root, 'snapshots', chainHex); }
  get containers(): string { return join(this.root, 'containers'); }
  container(id: string): string { return join(this.root, 'containers', id); }
  get tmp(): string { return join(this.root, 'tmp'); }
  get db(): string { return join(this.root, 'slipway.db'); }
  /** runc's state root (--root): kept inside the store so two stores never collide. */
  get runtimeState(): string { return join(this.root, 'runtime'); }
  get exits(): string { return join(this.root, 'exits'); }
  /** RUN --mount=type=cache directories (one per cache id and private copy) and their lock files */
  get cacheMounts(): string { return join(this.root, 'cache-mounts'); }
  /** bind-mounted network namespaces: one per container (by id), and the rootless one */
  get netns(): string { return join(this.root, 'netns'); }
  /** netavark's --config: aardvark-dns's per-network name files and pid; the network lock */
  get networkConfig(): string { return join(this.root, 'netavark'); }
  netnsOf(id: string): string { return join(this.root, 'netns', id); }
  exitFile(id: string): string { return join(this.root, 'exits', id); }
  /** the pid of the store's one healthcheck runner (container/health-runner.ts) */
  get healthRunnerPid(): string { return join(this.root, 'health-runner.pid'); }
  /** which mount driver works here, and why (probed once per store) */
  get mountDriverCache(): string { return join(this.root, 'mount-driver.json'); }
  /** the app's own files beside the store: UI settings, Dockerfiles typed in the app, its registry logins */
  get uiSettings(): string { return join(this.root, 'ui-settings.json'); }
  get uiDockerfiles(): string { return join(this.root, 'ui-dockerfiles'); }
  /** compose files dropped on the app as text (a browser knows no path), kept for the compose tool */
  get uiCompose(): string { return join(this.root, 'ui-compose'); }
  get appRegistryLogins(): string { return join(this.root, 'app-registry-logins.json'); }
  /** local volumes: volumes/<name>/_data, as docker lays them out */
  get volumes(): string { return join(this.root, 'volumes'); }
  volumeData(name: string): string { return join(this.root, 'volumes', name, '_data'); }
}
