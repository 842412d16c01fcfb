import { startService, type RunningService } from '../api/service.js';
import type { EngineApiStatus } from '../../shared/api.js';

/**
 * The Docker Engine API served by the app while it runs (Docker Desktop's promise: start the
 * app and `docker`, compose and the SDKs reach it). It is `slipway system service` in this
 * process, never idle-stopped, switched on and off by the `serveEngineApi` setting. A socket
 * another service already answers on is reported, not fought over: the app keeps working.
 */
export class EngineApiSocket {
  private svc: RunningService | undefined;
  private enabled = false;
  private error: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** `address`: unix:///PATH, a path or tcp://...; the service's default socket when absent. `root`: the app's store. */
  constructor(
    private readonly address: string | undefined,
    private readonly log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    private readonly root?: string,
  ) {}

  status(): EngineApiStatus {
    return { enabled: this.enabled, serving: !!this.svc, ...(this.svc ? { dockerHost: this.svc.dockerHost } : {}), ...(this.error ? { error: this.error } : {}) };
  }

  /** Serve or stop serving; calls run one after another (a quick off/on never races). */
  apply(enabled: boolean): Promise<EngineApiStatus> {
    const next = this.queue.then(async () => {
      this.enabled = enabled;
      if (enabled && !this.svc) {
        this.error = undefined;
        try {
          this.svc = await startService({ address: this.address, root: this.root, idleSeconds: 0, out: (l) => this.log(`Engine API: ${l}`), err: this.log });
          void this.svc.stopped.then(() => (this.svc = undefined));
        } catch (e) {
          this.error = e instanceof Error ? e.message : String(e);
          this.log(`Engine API not served: ${this.error}`);
        }
      } else if (!enabled && this.svc) {
        const svc = this.svc;
        this.svc = undefined;
        this.error = undefined;
        await svc.close();
      } else if (!enabled) this.error = undefined;
      return this.status();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): Promise<EngineApiStatus> {
    return this.apply(false);
  }
}
