import { EngineError, ErrorCode, familiarName, humanSize, InvalidArgumentError, LayerProgress, login, logout, openEngine, parseReference, pull, push, TransferEvent } from '../../engine/index.js';
import { out } from '../output.js';
import { writeOut } from '../stdout.js';

/**
 * Per-layer progress on the terminal. On a TTY each layer keeps one line that is redrawn in
 * place (docker's look); elsewhere (logs, CI) a layer prints one line when it is done.
 */
class LayerLines {
  private readonly order: string[] = [];
  private readonly rows = new Map<string, LayerProgress>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;
  private readonly tty = Boolean(process.stdout.isTTY);
  private closed = false;

  constructor(private readonly verbs: { done: string; exists: string }) {}

  on = (e: TransferEvent): void => {
    if (this.closed) return;
    if (e.kind === 'status') {
      this.flush();
      out(e.message);
      this.drawn = 0;
      return;
    }
    const l = e.layer;
    const prev = this.rows.get(l.id);
    if (!prev) this.order.push(l.id);
    this.rows.set(l.id, l);
    if (this.tty) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.draw();
      }, 80);
    } else if (isFinal(l.status) && prev?.status !== l.status) {
      out(this.line(l));
    }
  };

  private line(l: LayerProgress): string {
    switch (l.status) {
      case 'waiting': return `${l.id}: Waiting`;
      case 'exists': return `${l.id}: ${this.verbs.exists}`;
      case 'mounted': return `${l.id}: Mounted from ${l.from ?? ''}`;
      case 'complete':
      case 'pushed': return `${l.id}: ${this.verbs.done}`;
      case 'extracting': return `${l.id}: Extracting`;
      case 'failed': return `${l.id}: Failed`;
      default: {
        const verb = l.status === 'downloading' ? 'Downloading' : 'Pushing';
        const frac = l.total > 0 ? Math.min(1, l.current / l.total) : 0;
        const bar = `[${'='.repeat(Math.floor(frac * 30)).padEnd(30, ' ')}]`;
        return `${l.id}: ${verb} ${bar} ${humanSize(l.current)}/${humanSize(l.total)} ${humanSize(l.rate)}/s`;
      }
    }
  }

  private draw(): void {
    let s = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const id of this.order) s += `\x1b[2K${this.line(this.rows.get(id)!)}\n`;
    this.drawn = this.order.length;
    writeOut(s);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.tty && this.order.length && !this.closed) this.draw();
  }

  /** Final draw; after this the lines are history and nothing may move the cursor over them. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

function isFinal(s: LayerProgress['status']): boolean {
  return s === 'exists' || s === 'mounted' || s === 'complete' || s === 'pushed' || s === 'failed';
}

export async function pullAction(name: string, opts: { platform?: string; quiet?: boolean; tlsVerify?: boolean }): Promise<void> {
  const r = parseReference(name);
  if (!opts.quiet && !r.tag && !r.digest) out('Using default tag: latest');
  const lines = opts.quiet ? undefined : new LayerLines({ done: 'Pull complete', exists: 'Already exists' });
  const engine = openEngine();
  try {
    const res = await pull(engine, name, { platform: opts.platform, tlsVerify: opts.tlsVerify }, lines?.on);
    lines?.close();
    if (!opts.quiet) {
      out(`Digest: ${res.digest}`);
      out(`Status: ${res.downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(res.reference)}`);
    }
    out(res.reference);
  } finally {
    lines?.close();
    engine.close();
  }
}

export async function pushAction(name: string, opts: { quiet?: boolean; tlsVerify?: boolean }): Promise<void> {
  const lines = opts.quiet ? undefined : new LayerLines({ done: 'Pushed', exists: 'Layer already exists' });
  const engine = openEngine();
  try {
    const res = await push(engine, name, { tlsVerify: opts.tlsVerify }, lines?.on);
    lines?.close();
    if (opts.quiet) out(res.reference);
    else out(`${res.tag}: digest: ${res.digest} size: ${res.size}`);
  } finally {
    lines?.close();
    engine.close();
  }
}

export async function loginAction(
  registry: string,
  opts: { username?: string; password?: string; passwordStdin?: boolean; tlsVerify?: boolean },
): Promise<void> {
  let username = opts.username;
  let password = opts.password;
  if (opts.passwordStdin) {
    if (password) throw new InvalidArgumentError('--password and --password-stdin are mutually exclusive');
    if (!username) throw new InvalidArgumentError('--password-stdin needs --username');
    password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
  } else if (password) {
    process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  if (!username || !password) {
    if (!process.stdin.isTTY) throw new EngineError(ErrorCode.UNAUTHORIZED, 'Cannot perform an interactive login from a non TTY device: give --username and --password-stdin');
    username ||= await prompt('Username: ', false);
    password ||= await prompt('Password: ', true);
  }
  await login(registry, { username, password }, { tlsVerify: opts.tlsVerify });
  out('Login Succeeded');
}

export function logoutAction(registry: string): void {
  const res = logout(registry);
  out(res.removed ? `Removing login credentials for ${res.domain}` : `Not logged in to ${res.domain}`);
}

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the terminal; with `hidden` nothing is echoed (raw mode). */
function prompt(question: string, hidden: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let buf = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (v: string | Error): void => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(buf);
        if (ch === '\u0003') return done(new EngineError(ErrorCode.CANCELLED, 'login cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else {
          buf += ch;
          if (!hidden) process.stderr.write(ch);
        }
      }
    };
    stdin.on('data', onData);
  });
}
