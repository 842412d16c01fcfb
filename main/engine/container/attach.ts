import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Readable, Transform, Writable } from 'node:stream';
import { InvalidArgumentError } from '../model/errors.js';
import { connectSeqpacket, type SeqpacketSocket } from '../util/seqpacket.js';

/** What an attach takes: which streams, the detach keys (docker's form), the first tty size. */
export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** docker's `--detach-keys` form, e.g. "ctrl-p,ctrl-q" (the default); "" turns detaching off */
  detachKeys?: string;
  /** the tty size to set at once (before the process starts, when attaching at start) */
  size?: TerminalSize;
}

export interface TerminalSize {
  rows: number;
  cols: number;
}

/** One piece of output, in the order the process wrote it. With a tty it is all stdout. */
export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** How a session ended: the process's output ended (it exited), or the client detached. */
export type AttachEnd = 'exited' | 'detached';

/** Where conmon serves one process: its attach socket and ctl FIFO (<bundle>/attach, /ctl). */
export interface AttachTarget {
  socket: string;
  ctl: string;
  tty: boolean;
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * The engine side of an attach: `run -it`, `attach`, `start -ai`, the Engine API's
 * POST /containers/{id}/attach and exec start, and the app's terminal all use this.
 *
 *   session.output   Readable (object mode) of {stream: 'stdout'|'stderr', data: Buffer}, in
 *                    the order written; ends when the process's output ends or on detach
 *   session.input    Writable of raw stdin bytes (only with `stdin`); the detach keys are
 *                    caught here and never reach the process; `input.end()` is EOF (it closes
 *                    the process's stdin when that is a pipe opened with StdinOnce)
 *   session.resize({rows, cols})   the pty's size (tty sessions; ignored otherwise)
 *   session.detach() leave the process running and end this session
 *   session.ended    Promise<'exited' | 'detached'>: the connection is closed (read `output`
 *                    to its end to have all of the output)
 *
 * It speaks conmon's protocol: one SOCK_SEQPACKET packet per write, output packets start
 * with a stream byte (2 stdout, 3 stderr), stdin goes in raw, and resizes are written to the
 * ctl FIFO as "1 ROWS COLS\n". The process keeps running when the session (or the process
 * that holds it) goes away: conmon holds its stdio.
 */
export class AttachSession {
  readonly tty: boolean;
  readonly output: Readable;
  readonly input: Writable;
  readonly ended: Promise<AttachEnd>;
  private socket: SeqpacketSocket | undefined;
  private readonly demux: Transform;
  private detached = false;
  private size: TerminalSize | undefined;
  private readonly connected: Promise<SeqpacketSocket | undefined>;
  private settleConnected!: (s: SeqpacketSocket | undefined) => void;
  private settleEnded!: (e: AttachEnd) => void;

  /**
   * A session on `target`. `connect: false` makes one that waits (the Engine API attaches
   * before it starts a container): output and input wait until `connect()`.
   */
  constructor(
    private readonly target: AttachTarget,
    opts: AttachOptions = {},
    connect = true,
  ) {
    this.tty = target.tty;
    this.size = opts.size;
    const keys = parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
    const want = { stdout: opts.stdout ?? true, stderr: opts.stderr ?? true };
    this.connected = new Promise((resolve) => (this.settleConnected = resolve));
    this.ended = new Promise((resolve) => (this.settleEnded = resolve));
    this.output = this.demux = new Transform({
      readableObjectMode: true,
      writableObjectMode: true,
      transform(packet: Buffer, _enc, cb) {
        const stream = packet[0] === 3 ? 'stderr' : packet[0] === 2 ? 'stdout' : undefined;
        if (stream && want[stream] && packet.length > 1) cb(null, { stream, data: packet.subarray(1) } satisfies OutputChunk);
        else cb();
      },
    });
    const scanner = new DetachScanner(keys);
    const session = this;
    this.input = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (!opts.stdin) return cb();
        void session.connected.then(async (socket) => {
          const { pass, detach } = scanner.feed(chunk);
          let room = true;
          // conmon reads at most 32 KiB per packet; more would be cut off.
          if (socket && !socket.destroyed) for (let i = 0; i < pass.length; i += 8192) room = socket.write(pass.subarray(i, i + 8192));
          if (detach) session.detach();
          else if (!room && socket && !socket.destroyed) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
          cb();
        });
      },
      final(cb) {
        void session.connected.then((socket) => {
          if (opts.stdin && socket && !session.detached && !socket.destroyed) socket.end();
          cb();
        });
      },
    });
    this.input.on('error', () => {});
    if (connect) this.connect();
  }

  get isConnected(): boolean {
    return this.socket !== undefined;
  }

  /** Connect to conmon's socket (at once, or when a waiting session's process is up). */
  connect(): void {
    if (this.socket || this.detached) return;
    const socket = connectSeqpacket(this.target.socket);
    this.socket = socket;
    if (this.size) this.resize(this.size);
    socket.pipe(this.demux);
    // conmon closes the socket when the process's output has ended (it exited): end our side too.
    socket.on('end', () => socket.end());
    socket.on('error', () => this.demux.end());
    socket.once('close', () => this.settleEnded(this.detached ? 'detached' : 'exited'));
    this.settleConnected(socket);
  }

  /** Set the pty's size (conmon applies it with TIOCSWINSZ; the process gets SIGWINCH). */
  resize(size: TerminalSize): void {
    if (!this.tty) return;
    this.size = size;
    if (!this.socket) return; // applied at connect
    resizeTerminal(this.target.ctl, size);
  }

  /** Leave the process running: close our connection (its stdin stays open for a tty). */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    if (this.socket) {
      this.socket.unpipe(this.demux);
      this.socket.destroy();
    } else {
      this.settleConnected(undefined);
      this.settleEnded('detached');
    }
    this.demux.end();
  }
}

/**
 * Set the size of the pty conmon holds, through its ctl FIFO ("1 ROWS COLS\n"; conmon applies
 * it with TIOCSWINSZ and the process gets SIGWINCH). A process that has exited is left alone.
 */
export function resizeTerminal(ctl: string, size: TerminalSize): void {
  const rows = Math.max(1, Math.floor(size.rows));
  const cols = Math.max(1, Math.floor(size.cols));
  let fd: number;
  try {
    // conmon holds the FIFO open for reading, so a non-blocking open succeeds while it runs.
    fd = openSync(ctl, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return; // the process has exited: nothing to resize
  }
  try {
    writeSync(fd, `1 ${rows} ${cols}\n`);
  } catch {
    // a full FIFO drops this resize; the next one carries the size
  } finally {
    closeSync(fd);
  }
}

/**
 * docker's detach-key syntax (moby/term ToBytes): comma-separated keys, each one character or
 * `ctrl-X` for X in a-z, @, [, \, ], ^, _. "" means no detach keys.
 */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const out: number[] = [];
  for (const raw of spec.split(',')) {
    const k = raw.trim();
    const lower = k.toLowerCase();
    if (lower.startsWith('ctrl-') && k.length === 6) {
      const c = lower[5]!;
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else throw new InvalidArgumentError(`invalid detach keys "${spec}": unknown character after ctrl- in "${k}" (use a-z, @, [, \\, ], ^ or _)`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw new InvalidArgumentError(`invalid detach keys "${spec}": "${k}" is not one character or ctrl-<char>`);
  }
  return Buffer.from(out);
}

/**
 * Finds the detach sequence in stdin as docker's escape proxy does: bytes that may start the
 * sequence are held back; if the sequence completes, they are dropped and the session
 * detaches; if it breaks off, they are passed on.
 */
export class DetachScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { pass: Buffer; detach: boolean } {
    if (!this.keys.length) return { pass: chunk, detach: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) this.held = 1;
      else out.push(b);
    }
    return { pass: Buffer.from(out), detach: false };
  }
}
