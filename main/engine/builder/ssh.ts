import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { EngineError, ErrorCode, InvalidArgumentError } from '../model/errors.js';
import { liveTempName } from '../util/ids.js';

/**
 * `build --ssh ID=SOCKET|KEY...`: agents a RUN --mount=type=ssh (and git over ssh) reaches.
 * A socket is used as it is; key files are loaded into a private ssh-agent (openssh-client)
 * for the build. Each RUN gets its own proxy socket, owned and moded as the mount asks, so
 * the agent's peer-uid check and the host socket's permissions do not depend on the step's
 * user; the proxy lives only while the step runs.
 */
export class SshAgents {
  private readonly agents = new Map<string, string>();
  private readonly children: ChildProcess[] = [];
  private dir: string | undefined;

  constructor(
    private readonly given: Record<string, string[]>,
    private readonly tmpRoot: string,
  ) {}

  has(id: string): boolean {
    return id in this.given;
  }

  /** The agent socket for an id, starting a private agent for key files on first use. */
  async socket(id: string): Promise<string> {
    const known = this.agents.get(id);
    if (known) return known;
    const paths = this.given[id];
    if (!paths) throw new InvalidArgumentError(`no SSH key "${id}" forwarded from the client: pass --ssh ${id}[=SOCKET|KEY]`);
    const sockets = paths.filter((p) => existsSync(p) && lstatSync(p).isSocket());
    if (sockets.length === paths.length && sockets.length === 1) {
      this.agents.set(id, sockets[0]!);
      return sockets[0]!;
    }
    if (sockets.length) throw new InvalidArgumentError(`--ssh ${id}: give one agent socket, or key files, not both`);
    const sock = join(this.workDir(), `agent-${this.children.length}.sock`);
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    this.children.push(agent);
    agent.on('error', () => {});
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 10));
    if (!existsSync(sock)) throw new EngineError(ErrorCode.UNAVAILABLE, 'ssh-agent did not start: install openssh-client');
    for (const key of paths) await sshAdd(sock, key);
    this.agents.set(id, sock);
    return sock;
  }

  private workDir(): string {
    if (!this.dir) {
      this.dir = join(this.tmpRoot, liveTempName('ssh'));
      mkdirSync(this.dir, { mode: 0o700 });
    }
    return this.dir;
  }

  /** A proxy socket at `path` forwarding to the agent of `id`. */
  async proxy(id: string, path: string, owner: { uid: number; gid: number; mode: number }): Promise<{ close: () => Promise<void> }> {
    const upstream = await this.socket(id);
    const open = new Set<Socket>();
    const server: Server = createServer((c) => {
      const u = connect(upstream);
      open.add(c);
      open.add(u);
      c.pipe(u).pipe(c);
      const done = () => {
        c.destroy();
        u.destroy();
        open.delete(c);
        open.delete(u);
      };
      c.on('error', done).on('close', done);
      u.on('error', done).on('close', done);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chownSync(path, owner.uid, owner.gid);
    chmodSync(path, owner.mode);
    return {
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of open) s.destroy();
          server.close(() => resolve());
        }),
    };
  }

  close(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGTERM');
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function sshAdd(sock: string, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // No terminal: a key with a passphrase fails instead of prompting (BuildKit does the same).
    const p = spawn('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS_REQUIRE: 'never', DISPLAY: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new EngineError(ErrorCode.UNAVAILABLE, 'ssh-add is missing: install openssh-client') : e));
    p.on('close', (c) => (c === 0 ? resolve() : reject(new InvalidArgumentError(`--ssh: cannot load the key ${key}: ${err.trim() || `ssh-add exited ${c}`} (keys with a passphrase need an agent: pass its socket)`))));
  });
}
