import { Duplex } from 'node:stream';
import { seqpacketAddon, type SeqpacketHandle } from './native.js';

/**
 * A connected SOCK_SEQPACKET unix socket as an object-mode Duplex: every chunk read is one
 * whole packet as the peer sent it, every chunk written goes out as one packet. Node has no
 * such socket (net.Socket refuses the fd), so the addon polls the fd on Node's own loop.
 * Backpressure works both ways: a full consumer stops the polling, a full socket waits for
 * "writable". `end()` shuts down our sending side only (the peer reads EOF); the socket
 * closes when both sides are done or on `destroy()`.
 */
export type SeqpacketSocket = InstanceType<ReturnType<typeof socketClass>>;

/** Connect to `path` (any length: long paths go through the parent directory's fd). */
export function connectSeqpacket(path: string): SeqpacketSocket {
  return new (socketClass())(path);
}

let cls: ReturnType<typeof defineClass> | undefined;
// Defined on first use: `extends Duplex` at the top would load node:stream (twenty internal
// modules) in every CLI call that merely loads the container code, `create` and `ps` among them.
function socketClass() {
  return (cls ??= defineClass());
}

function defineClass() {
  return class SeqpacketSocket extends Duplex {
    private readonly h: SeqpacketHandle;
    private pending: { data: Buffer; cb: (e?: Error | null) => void } | undefined;
    private ended = false;
    /** Node asked for more (_read) and no push has since said the buffer is full. */
    private wanted = false;

    constructor(path: string) {
      super({ objectMode: true, allowHalfOpen: true, highWaterMark: 64 });
      const native = seqpacketAddon();
      this.h = native.seqpacketConnect(path, (kind, data) => this.onEvent(kind, data));
    }

    private onEvent(kind: 'data' | 'end' | 'writable' | 'error', data?: Buffer | string): void {
      if (kind === 'data') {
        if (!this.push(data)) {
          this.wanted = false;
          this.watch();
        }
      } else if (kind === 'end') {
        this.ended = true;
        this.push(null);
      } else if (kind === 'writable') {
        const p = this.pending;
        this.pending = undefined;
        if (p) this.send(p.data, p.cb);
      } else {
        const err = Object.assign(new Error(`attach socket: ${String(data)}`), { code: String(data) });
        this.destroy(err);
      }
    }

    /** Poll for what we currently want: packets while the reader has room, room while a send waits. */
    private watch(): void {
      if (this.destroyed) return;
      seqpacketAddon().seqpacketWatch(this.h, this.wanted && !this.ended, this.pending !== undefined);
    }

    // Called before Node takes a chunk off the buffer, so the buffer may still look full: trust it.
    override _read(): void {
      this.wanted = true;
      this.watch();
    }

    override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
      this.send(chunk, cb);
    }

    private send(chunk: Buffer, cb: (e?: Error | null) => void): void {
      let n: number;
      try {
        n = seqpacketAddon().seqpacketSend(this.h, chunk);
      } catch (e) {
        cb(e as Error);
        return;
      }
      if (n >= 0) {
        cb();
        return;
      }
      this.pending = { data: chunk, cb };
      this.watch();
    }

    override _final(cb: (e?: Error | null) => void): void {
      try {
        seqpacketAddon().seqpacketShutdown(this.h);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    }

    override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
      seqpacketAddon().seqpacketClose(this.h);
      const p = this.pending;
      this.pending = undefined;
      p?.cb(err ?? new Error('attach socket closed'));
      cb(err);
    }
  };
}
