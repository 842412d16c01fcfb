import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { execStream, type ExecProcess } from '../../engine/index.js';
import { intQuery, readJsonObject, type ApiContext } from '../context.js';
import { ApiError, badRequest, conflict, messageOf, notFound } from '../errors.js';
import type { Route } from '../router.js';
import { StreamWriter, STDERR, STDOUT } from '../streams/stdcopy.js';

/** An exec instance: made by POST /containers/{id}/exec, run by POST /exec/{id}/start. */
export interface ExecSession {
  id: string;
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  env: string[];
  user: string;
  workdir: string;
  detachKeys: string;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  finishedAt?: number;
  /** the running process, for resize */
  process?: ExecProcess;
}

/** Finished sessions stay inspectable this long (docker keeps them until the container goes). */
const KEEP_FINISHED_MS = 10 * 60_000;
const MAX_SESSIONS = 1024;

export class ExecSessions {
  private readonly sessions = new Map<string, ExecSession>();

  add(s: Omit<ExecSession, 'id' | 'running' | 'started' | 'exitCode' | 'pid'>): ExecSession {
    const now = Date.now();
    for (const [id, x] of this.sessions) if (x.finishedAt && now - x.finishedAt > KEEP_FINISHED_MS) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) throw new ApiError(503, `too many exec instances (${MAX_SESSIONS}): start or let some finish first`);
    const session: ExecSession = { ...s, id: randomBytes(32).toString('hex'), running: false, started: false, exitCode: null, pid: 0 };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id) ?? [...this.sessions.values()].find((x) => id.length >= 12 && x.id.startsWith(id));
    if (!s) throw notFound(`No such exec instance: ${id}`);
    return s;
  }
}

const strings = (v: unknown, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badRequest(`json: cannot unmarshal into Go struct field ExecConfig.${what} of type []string`);
  return v as string[];
};

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  if (body.Privileged) throw badRequest('privileged exec is not supported by Slipway');
  const cmd = strings(body.Cmd, 'Cmd');
  if (!cmd.length) throw badRequest('No exec command specified');
  const rec = await ctx.services.engine.containers.get(ctx.params.name!);
  if (rec.state === 'paused') throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
  if (rec.state !== 'running') throw conflict(`Container ${rec.id} is not running`);
  const s = ctx.services.execs.add({
    containerId: rec.id,
    cmd,
    tty: !!body.Tty,
    stdin: !!body.AttachStdin,
    stdout: !!body.AttachStdout,
    stderr: !!body.AttachStderr,
    env: strings(body.Env, 'Env'),
    user: typeof body.User === 'string' ? body.User : '',
    workdir: typeof body.WorkingDir === 'string' ? body.WorkingDir : '',
    detachKeys: typeof body.DetachKeys === 'string' ? body.DetachKeys : '',
  });
  ctx.reply.json(201, { Id: s.id });
}

async function run(ctx: ApiContext, s: ExecSession, tty: boolean): Promise<ExecProcess> {
  s.started = true;
  s.running = true;
  let p: ExecProcess;
  try {
    p = await execStream(ctx.services.engine.containers, s.containerId, { cmd: s.cmd, env: s.env, user: s.user, workdir: s.workdir, tty, stdin: s.stdin });
  } catch (e) {
    s.running = false;
    s.exitCode = 126;
    s.finishedAt = Date.now();
    throw e;
  }
  s.pid = p.pid;
  s.process = p;
  p.exit.then(
    (code) => ((s.exitCode = code), (s.running = false), (s.finishedAt = Date.now())),
    () => ((s.exitCode = 126), (s.running = false), (s.finishedAt = Date.now())),
  );
  return p;
}

async function copyOut(src: Readable | null, w: StreamWriter, stream: number, wanted: boolean): Promise<void> {
  if (!src) return;
  if (!wanted) {
    src.resume();
    await once(src, 'end').catch(() => {});
    return;
  }
  for await (const c of src as AsyncIterable<Buffer>) await w.write(stream, c);
}

/**
 * POST /exec/{id}/start: detached (answers at once), or hijacked: the process's output goes to
 * the client (framed without a TTY), the client's bytes to its stdin, until it exits. A client
 * that goes away kills the process.
 */
async function start(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  const s = ctx.services.execs.get(ctx.params.name!);
  if (s.started) throw conflict(`Error: Exec command ${s.id} has already run`);
  const tty = body.Tty === undefined ? s.tty : !!body.Tty;
  if (body.Detach) {
    const p = await run(ctx, s, tty);
    p.stdin?.end();
    p.stdout.resume();
    p.stderr?.resume();
    p.exit.catch(() => {});
    ctx.reply.empty(200);
    return;
  }
  // As dockerd: the connection is hijacked (101 sent) before the process starts. Output sent
  // together with the 101's headers is lost by clients that read the socket past their HTTP
  // parser (docker-py), and the process's first bytes come at once from conmon.
  const conn = ctx.reply.hijack('application/vnd.docker.raw-stream');
  const w = new StreamWriter(conn.output, tty);
  let p: ExecProcess;
  try {
    p = await run(ctx, s, tty);
  } catch (e) {
    await w.write(STDERR, Buffer.from(`${messageOf(e)}\n`));
    conn.close();
    return;
  }
  const kill = () => p.kill('SIGKILL');
  ctx.signal.addEventListener('abort', kill, { once: true });
  if (p.stdin && s.stdin) {
    conn.input.pipe(p.stdin);
  } else {
    p.stdin?.end();
    conn.input.resume();
  }
  try {
    await Promise.all([copyOut(p.stdout, w, STDOUT, s.stdout || tty), copyOut(p.stderr, w, STDERR, s.stderr)]);
    await p.exit;
  } catch (e) {
    if (!ctx.signal.aborted) await w.write(STDERR, Buffer.from(`${messageOf(e)}\n`));
  } finally {
    ctx.signal.removeEventListener('abort', kill);
    conn.close();
  }
}

function resize(ctx: ApiContext): void {
  const s = ctx.services.execs.get(ctx.params.name!);
  if (!s.running) throw conflict(`Exec ${s.id} is not running`);
  const h = intQuery(ctx, 'h');
  const wd = intQuery(ctx, 'w');
  if (h !== undefined && wd !== undefined) s.process?.resize({ rows: h, cols: wd });
  ctx.reply.empty(200);
}

async function inspect(ctx: ApiContext): Promise<void> {
  const s = ctx.services.execs.get(ctx.params.name!);
  ctx.reply.json(200, {
    CanRemove: false,
    ContainerID: s.containerId,
    DetachKeys: s.detachKeys,
    ExitCode: s.exitCode,
    ID: s.id,
    OpenStderr: s.stderr,
    OpenStdin: s.stdin,
    OpenStdout: s.stdout,
    ProcessConfig: { arguments: s.cmd.slice(1), entrypoint: s.cmd[0], privileged: false, tty: s.tty, user: s.user },
    Running: s.running,
    Pid: s.pid,
  });
}

export const execRoutes: Route[] = [
  { method: 'POST', path: '/containers/{name:.*}/exec', handler: create },
  { method: 'POST', path: '/exec/{name:.*}/start', handler: start, hijack: true },
  { method: 'POST', path: '/exec/{name:.*}/resize', handler: resize },
  { method: 'GET', path: '/exec/{name:.*}/json', handler: inspect },
];
