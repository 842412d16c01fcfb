import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { EngineError, ErrorCode, NotFoundError, type AttachSession, type Engine, type RunningExec } from '../engine/index.js';
import type { EventHub } from './hub.js';

/**
 * Terminal sessions for the Container page: an exec with a pty through the engine's attach
 * path (conmon holds the pty; container/attach.ts), so echo, line editing and full-screen
 * programs behave as in a terminal. Output goes out as `exec.output` events; keystrokes come
 * back through `exec.input`, sizes through `exec.resize`. Closing a terminal hangs up its shell.
 */
export class ExecSessions {
  private readonly sessions = new Map<string, { exec: RunningExec; session: AttachSession }>();
  private static readonly max = 16;

  constructor(
    private readonly hub: EventHub,
    private readonly engine: Engine,
  ) {}

  async start(containerId: string, cmd: string[], cols: number, rows: number): Promise<string> {
    if (this.sessions.size >= ExecSessions.max) throw new EngineError(ErrorCode.CONFLICT, `too many open terminals (${ExecSessions.max}); close one first`);
    const id = randomBytes(8).toString('hex');
    const exec = await this.engine.containers.exec(containerId, {
      cmd,
      tty: true,
      interactive: true,
      env: ['TERM=xterm-256color'],
      // No detach keys: every key belongs to the shell.
      attach: { stdin: true, detachKeys: '', size: { rows, cols } },
    });
    const session = exec.session!;
    this.sessions.set(id, { exec, session });
    const text = new StringDecoder('utf8');
    session.output.on('data', (c: { data: Buffer }) => this.hub.publish('exec.output', { session: id, data: text.write(c.data) }));
    void session.ended.then(async () => {
      const code = await exec.wait().catch(() => null);
      this.sessions.delete(id);
      this.hub.publish('exec.exit', { session: id, code });
    });
    return id;
  }

  private get(session: string) {
    const s = this.sessions.get(session);
    if (!s) throw new NotFoundError(`No such terminal session: ${session} (it has ended)`);
    return s;
  }

  input(session: string, data: string): void {
    this.get(session).session.input.write(Buffer.from(data, 'utf8'));
  }

  resize(session: string, cols: number, rows: number): void {
    this.get(session).session.resize({ rows, cols });
  }

  /** Hang up the shell (as closing a terminal window does) and end the session. */
  close(session: string): void {
    const s = this.sessions.get(session);
    if (!s) return;
    try {
      process.kill(s.exec.pid, 'SIGHUP');
    } catch {
      // already gone
    }
  }

  closeAll(): void {
    for (const id of this.sessions.keys()) this.close(id);
  }
}
