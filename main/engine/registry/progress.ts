/**
 * Per-layer transfer progress: one row per layer (the app draws one progress bar per row; the
 * CLI one line per layer). Events carry absolute numbers, so a listener that joins late or
 * drops a few still shows the truth.
 */
export type LayerStatus =
  | 'waiting'
  | 'exists'        // pull: blob and snapshot already here; push: registry has it
  | 'mounted'       // push: cross-repository mount
  | 'downloading'
  | 'extracting'    // pull: blob is here, unpacking into its snapshot
  | 'complete'      // pull: downloaded and unpacked
  | 'pushing'
  | 'pushed'
  | 'failed';

export interface LayerProgress {
  /** The first 12 hex digits of the blob digest, as docker shows them. */
  id: string;
  digest: string;
  status: LayerStatus;
  current: number;
  total: number;
  /** bytes/s over the transfer so far */
  rate: number;
  /** push: the repository a mount came from */
  from?: string;
}

export type TransferEvent =
  | { kind: 'layer'; layer: LayerProgress }
  | { kind: 'status'; message: string };

export type ProgressListener = (e: TransferEvent) => void;

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** Tracks one layer and throttles byte updates to ~10 per second; status changes always go out. */
export class LayerTracker {
  private readonly p: LayerProgress;
  private started = 0;
  private lastEmit = 0;

  constructor(digest: string, total: number, private readonly listener?: ProgressListener) {
    this.p = { id: shortId(digest), digest, status: 'waiting', current: 0, total, rate: 0 };
    this.emit();
  }

  set(status: LayerStatus, extra: Partial<LayerProgress> = {}): void {
    if (status === 'downloading' || status === 'pushing') this.started = Date.now();
    Object.assign(this.p, extra, { status });
    if (status === 'complete' || status === 'pushed' || status === 'exists' || status === 'mounted') this.p.current = this.p.total;
    this.emit();
  }

  add(bytes: number): void {
    this.p.current += bytes;
    const now = Date.now();
    if (now - this.lastEmit >= 100) {
      const secs = (now - this.started) / 1000;
      this.p.rate = secs > 0 ? Math.round(this.p.current / secs) : 0;
      this.emit();
    }
  }

  get status(): LayerStatus {
    return this.p.status;
  }

  private emit(): void {
    this.lastEmit = Date.now();
    this.listener?.({ kind: 'layer', layer: { ...this.p } });
  }
}
