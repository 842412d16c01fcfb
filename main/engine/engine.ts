import { Store } from './store/store.js';
import { defaultRoot } from './store/paths.js';
import { ImageStore } from './image/images.js';
import { ContainerManager } from './container/manager.js';
import { NetworkService } from './services/networks.js';
import { VolumeService } from './services/volumes.js';

/**
 * The facade: the one API that the CLI, the IPC binding and the web bridge call. It knows
 * nothing of who calls it. Subsystems are built on first use so a CLI verb pays only for what
 * it touches.
 */
export class Engine {
  readonly store: Store;
  private _images?: ImageStore;
  private _containers?: ContainerManager;
  private _networks?: NetworkService;
  private _volumes?: VolumeService;

  constructor(root: string = defaultRoot()) {
    this.store = new Store(root);
  }

  get images(): ImageStore {
    return (this._images ??= new ImageStore(this.store));
  }

  /** Container lifecycle (create/start/stop/rm/exec/logs/diff/commit): main/engine/container. */
  get containers(): ContainerManager {
    return (this._containers ??= new ContainerManager(this));
  }

  /** Bridge networks (netavark) and containers' endpoints on them: main/engine/services/networks.ts. */
  get networks(): NetworkService {
    return (this._networks ??= new NetworkService(this));
  }

  /** Volumes (docker's local driver) and the mounts of containers: main/engine/services/volumes.ts. */
  get volumes(): VolumeService {
    return (this._volumes ??= new VolumeService(this));
  }

  close(): void {
    this.store.close();
  }
}

export function openEngine(root?: string): Engine {
  return new Engine(root);
}
