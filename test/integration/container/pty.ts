import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { BIN, REPO } from '../image/cli.js';

const DRIVER = join(REPO, 'test', 'helpers', 'pty-run.py');

/** What a Terminal runs: `slipway` on a store (the default), or another client (docker, with its env). */
export interface TerminalProgram {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * `slipway ARGS` (or another program's) on a real terminal (python3's pty module,
 * test/helpers/pty-run.py): the test types into it, reads what the terminal shows, resizes
 * it, and gets the CLI's exit code.
 */
export class Terminal {
  readonly proc: ChildProcess;
  /** everything the terminal has shown so far */
  screen = '';
  readonly exited: Promise<number>;
  private readonly pidLine: Promise<number>;
  private waiters: (() => void)[] = [];

  constructor(root: string, args: string[], size = { rows: 24, cols: 80 }, program: TerminalProgram = { argv: [process.execPath, BIN], env: { ...process.env, SLIPWAY_ROOT: root } }) {
    this.proc = spawn('python3', [DRIVER, String(size.rows), String(size.cols), ...program.argv, ...args], {
      env: { ...program.env, TERM: 'xterm', PTY_RUN_CTL: '3' },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.screen += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    });
    let err = '';
    this.pidLine = new Promise((resolve) => {
      this.proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /^pid (\d+)\n/.exec(err);
        if (m) resolve(Number(m[1]));
      });
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, sig) => resolve(code ?? 128 + (sig ? 9 : 0))));
    this.proc.stdin!.on('error', () => {});
  }

  /** The CLI's pid (the command the terminal runs). */
  pid(): Promise<number> {
    return this.pidLine;
  }

  /** Type `text` (control keys as their bytes: "\x10\x11" is ctrl-p ctrl-q). */
  type(text: string): void {
    this.proc.stdin!.write(text);
  }

  resize(rows: number, cols: number): void {
    (this.proc.stdio[3] as Writable).write(`resize ${rows} ${cols}\n`);
  }

  /** Until the screen (after `from`) matches `re`; throws with the screen after `ms`. */
  async waitFor(re: RegExp, ms = 20_000, from = 0): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.screen.slice(from));
      if (m) return m;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`the terminal never showed ${re}; it shows:\n${JSON.stringify(this.screen.slice(-2000))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The CLI's exit code, or an error with the screen when it does not exit in `ms`. */
  async exitCode(ms = 20_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the CLI did not exit; the terminal shows:\n${JSON.stringify(this.screen.slice(-2000))}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}
