import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError, ErrorCode, NotFoundError } from '../engine/index.js';
import type { EventHub } from './hub.js';

/** bin/slipway.js of this install (the terminal runs `slipway exec -it` under a pty). */
function cliPath(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'bin', 'slipway.js');
    if (existsSync(p)) return p;
    dir = resolve(dir, '..');
  }
  throw new EngineError(ErrorCode.SYSTEM, 'cannot find bin/slipway.js for the terminal');
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Terminal sessions for the Container page: `slipway exec -it` run under util-linux
 * `script`, which gives it a real pseudo-terminal (Node has none without a native addon), so
 * echo, line editing and full-screen programs behave as in a terminal. Output goes out as
 * `exec.output` events; keystrokes come back through `exec.input`.
 */
export class ExecSessions {
  private readonly sessions = new Map<string, ChildProcess>();
  private static readonly max = 16;

  constructor(
    private readonly hub: EventHub,
    private readonly root: string,
  ) {}

  start(containerId: string, cmd: string[], cols: number, rows: number): string {
    if (this.sessions.size >= ExecSessions.max) throw new EngineError(ErrorCode.CONFLICT, `too many open terminals (${ExecSessions.max}); close one first`);
    const session = randomBytes(8).toString('hex');
    const inner = [process.execPath, cliPath(), 'exec', '-it', containerId, ...cmd].map(quote).join(' ');
    const child = spawn('script', ['-qfec', `stty cols ${cols} rows ${rows} 2>/dev/null; exec ${inner}`, '/dev/null'], {
      env: { ...process.env, SLIPWAY_ROOT: this.root, TERM: 'xterm-256color', ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.sessions.set(session, child);
    const out = (d: Buffer) => this.hub.publish('exec.output', { session, data: d.toString('utf8') });
    child.stdout!.on('data', out);
    child.stderr!.on('data', out);
    child.stdin!.on('error', () => {});
    child.on('error', (e) => out(Buffer.from(`\r\n${e.message}\r\n`)));
    child.on('close', (code) => {
      this.sessions.delete(session);
      this.hub.publish('exec.exit', { session, code });
    });
    return session;
  }

  input(session: string, data: string): void {
    const c = this.sessions.get(session);
    if (!c) throw new NotFoundError(`No such terminal session: ${session} (it has ended)`);
    c.stdin!.write(data);
  }

  close(session: string): void {
    this.sessions.get(session)?.kill('SIGHUP');
  }

  closeAll(): void {
    for (const c of this.sessions.values()) c.kill('SIGHUP');
  }
}
