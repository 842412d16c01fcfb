import { pipeline } from 'node:stream/promises';
import { dockerStats, type StatsSample, attachOutput, containerLogs, getArchive, putArchive, statContainerPath, type PathStat, CONTAINER_FILTERS, ImageNotFoundError, inspectContainer, listContainers, parseTimeFilter, type ContainerCreateSpec, type ContainerRecord, type ContainerUpdate, type LogChunk, type OutputChunk, type AttachSession } from '../../engine/index.js';
import { boolQuery, filtersQuery, intQuery, readJsonObject, stringQuery, type ApiContext } from '../context.js';
import { ApiError, badRequest } from '../errors.js';
import type { Route } from '../router.js';
import { JsonLines } from '../streams/json-lines.js';
import { pumpChunks } from '../streams/pump.js';
import { closesStdin, endClientStdin, pipeClientStdin } from '../streams/client-stdin.js';

const RAW_STREAM = 'application/vnd.docker.raw-stream';

const mgr = (ctx: ApiContext) => ctx.services.engine.containers;
const live = (r: ContainerRecord) => r.state === 'running' || r.state === 'paused';

async function list(ctx: ApiContext): Promise<void> {
  const filters = filtersQuery(ctx, CONTAINER_FILTERS);
  ctx.reply.json(200, await listContainers(ctx.services.engine, { all: boolQuery(ctx, 'all'), limit: intQuery(ctx, 'limit'), filters }));
}

async function create(ctx: ApiContext): Promise<void> {
  const body = await readJsonObject(ctx);
  if (Object.keys(body).length === 0) throw badRequest('config cannot be empty in order to create a container');
  // docker's body is the Config with HostConfig and NetworkingConfig inside it; the engine
  // takes the three apart, as the typed spec names them.
  const { HostConfig, NetworkingConfig, ...Config } = body;
  const spec = { name: stringQuery(ctx, 'name'), Config, HostConfig, NetworkingConfig } as unknown as ContainerCreateSpec;
  try {
    const rec = await mgr(ctx).create(spec);
    ctx.reply.json(201, { Id: rec.id, Warnings: [] });
  } catch (e) {
    // docker's client pulls on exactly this answer, then creates again.
    if (e instanceof ImageNotFoundError) throw new ApiError(404, `No such image: ${String(Config.Image)}`);
    throw e;
  }
}

async function inspect(ctx: ApiContext): Promise<void> {
  const rec = await mgr(ctx).get(ctx.params.name!);
  ctx.reply.json(200, inspectContainer(ctx.services.engine, rec));
}

async function top(ctx: ApiContext): Promise<void> {
  const args = (stringQuery(ctx, 'ps_args') ?? '-ef').split(/\s+/).filter(Boolean);
  ctx.reply.json(200, await mgr(ctx).top(ctx.params.name!, args));
}

/**
 * GET /containers/{id}/stats: docker's stats JSON, a reading a second (stream, the default)
 * or one; one-shot skips the second reading that fills precpu_stats (and CPU %).
 */
async function stats(ctx: ApiContext): Promise<void> {
  const engine = ctx.services.engine;
  const ref = ctx.params.name!;
  const stream = boolQuery(ctx, 'stream', true);
  const oneShot = boolQuery(ctx, 'one-shot', false);
  if (oneShot && stream) throw badRequest('cannot have stream=true and one-shot=true');
  const sleep = (ms: number) => new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    ctx.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });
  let rec = await engine.containers.get(ref);
  let prev = oneShot ? undefined : engine.containers.stats(rec);
  if (!stream) {
    if (!oneShot) await sleep(1000);
    rec = await engine.containers.get(ref);
    const cur = engine.containers.stats(rec) ?? emptySample();
    ctx.reply.json(200, dockerStats(rec, cur, prev));
    return;
  }
  const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
  while (!ctx.signal.aborted) {
    await sleep(1000);
    if (ctx.signal.aborted) break;
    rec = await engine.containers.get(ref).catch(() => rec);
    const cur = engine.containers.stats(rec);
    await out.send(dockerStats(rec, cur ?? emptySample(), prev));
    // docker ends the stream once the container is no longer running
    if (!cur) break;
    prev = cur;
  }
  await out.end();
}

/** What a container that is not running reads as: zeros, as dockerd sends. */
function emptySample(): StatsSample {
  return { read: new Date().toISOString(), cpuTotal: 0, systemCpu: 0, onlineCpus: 0, memUsage: 0, memLimit: 0, memInactiveFile: 0, pids: 0, net: {}, blkRead: 0, blkWrite: 0 };
}

/** POST /containers/{id}/rename?name=NEW */
async function rename(ctx: ApiContext): Promise<void> {
  const name = stringQuery(ctx, 'name');
  if (!name) throw badRequest('Neither old nor new names may be empty');
  await mgr(ctx).rename(ctx.params.name!, name);
  ctx.reply.empty(204);
}

/** docker's since/until query values: unix seconds (fractions allowed), RFC 3339 or a duration. */
function timeQuery(ctx: ApiContext, key: string): number | undefined {
  const v = stringQuery(ctx, key);
  if (v === undefined || v === '0') return undefined;
  return parseTimeFilter(v, 'until filter');
}

async function logs(ctx: ApiContext): Promise<void> {
  const stdout = boolQuery(ctx, 'stdout');
  const stderr = boolQuery(ctx, 'stderr');
  if (!stdout && !stderr) throw badRequest('Bad parameters: you must choose at least one stream');
  const rec = await mgr(ctx).get(ctx.params.name!);
  const tailQ = stringQuery(ctx, 'tail');
  const tail = tailQ === undefined || tailQ === 'all' ? -1 : Number(tailQ);
  if (!Number.isInteger(tail)) throw badRequest(`invalid tail value ${tailQ}: give a number or "all"`);
  const chunks = containerLogs(ctx.services.engine, rec.id, {
    stdout,
    stderr,
    follow: boolQuery(ctx, 'follow'),
    since: timeQuery(ctx, 'since'),
    until: timeQuery(ctx, 'until'),
    tail,
    timestamps: boolQuery(ctx, 'timestamps'),
    signal: ctx.signal,
  });
  const out = ctx.reply.stream(200, RAW_STREAM);
  await pumpChunks(chunks, out, rec.spec.config.Tty);
  out.end();
}

async function changes(ctx: ApiContext): Promise<void> {
  const list = await mgr(ctx).diff(ctx.params.name!);
  const kind = { C: 0, A: 1, D: 2 } as const;
  ctx.reply.json(200, list.length ? list.map((c) => ({ Path: c.path, Kind: kind[c.kind] })) : null);
}

async function exportFs(ctx: ApiContext): Promise<void> {
  const tar = await mgr(ctx).export(ctx.params.name!);
  const out = ctx.reply.stream(200, 'application/x-tar');
  ctx.signal.addEventListener('abort', () => tar.destroy());
  await pipeline(tar, out).catch((e) => {
    if (!ctx.signal.aborted) throw e;
  });
}

async function start(ctx: ApiContext): Promise<void> {
  const rec = await mgr(ctx).get(ctx.params.name!);
  if (rec.state === 'running') return ctx.reply.empty(304);
  await mgr(ctx).start(rec.id);
  ctx.reply.empty(204);
}

async function stop(ctx: ApiContext): Promise<void> {
  const rec = await mgr(ctx).get(ctx.params.name!);
  if (!live(rec)) return ctx.reply.empty(304);
  await mgr(ctx).stop(rec.id, intQuery(ctx, 't'), stringQuery(ctx, 'signal'));
  ctx.reply.empty(204);
}

async function restart(ctx: ApiContext): Promise<void> {
  await mgr(ctx).restart(ctx.params.name!, intQuery(ctx, 't'));
  ctx.reply.empty(204);
}

async function update(ctx: ApiContext): Promise<void> {
  await mgr(ctx).update(ctx.params.name!, (await readJsonObject(ctx)) as ContainerUpdate);
  ctx.reply.json(200, { Warnings: [] });
}

async function kill(ctx: ApiContext): Promise<void> {
  await mgr(ctx).kill(ctx.params.name!, stringQuery(ctx, 'signal') ?? 'KILL');
  ctx.reply.empty(204);
}

async function pause(ctx: ApiContext): Promise<void> {
  await mgr(ctx).pause(ctx.params.name!);
  ctx.reply.empty(204);
}

async function unpause(ctx: ApiContext): Promise<void> {
  await mgr(ctx).unpause(ctx.params.name!);
  ctx.reply.empty(204);
}

async function remove(ctx: ApiContext): Promise<void> {
  if (boolQuery(ctx, 'link')) throw badRequest('legacy links are not supported');
  await mgr(ctx).remove(ctx.params.name!, { force: boolQuery(ctx, 'force') });
  ctx.reply.empty(204);
}

async function prune(ctx: ApiContext): Promise<void> {
  const f = filtersQuery(ctx, ['label', 'label!', 'until']);
  const until = f.get('until')?.[0];
  const labels = [...(f.get('label') ?? []), ...(f.get('label!') ?? []).map((l) => `!${l}`)];
  const gone = await mgr(ctx).prune({ labels, until: until ? parseTimeFilter(until, 'until filter') : undefined });
  ctx.reply.json(200, { ContainersDeleted: gone.length ? gone : null, SpaceReclaimed: 0 });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/**
 * docker wait: `not-running` (default) answers at once for a stopped container; `next-exit`
 * waits for the exit of a run that has not ended yet (the client asks before it starts the
 * container); `removed` waits until the container is gone. The status line goes out first, as
 * dockerd does, so the client knows its wait is registered.
 */
async function wait(ctx: ApiContext): Promise<void> {
  const condition = stringQuery(ctx, 'condition') ?? 'not-running';
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw badRequest(`invalid condition: "${condition}"`);
  const m = mgr(ctx);
  const first = await m.get(ctx.params.name!);
  const out = ctx.reply.stream(200, 'application/json');
  let code: number | undefined;
  for (;;) {
    if (ctx.signal.aborted) return;
    const r = m.find(first.id);
    if (!r) {
      code = m.lastExitCode(first.id) ?? first.exitCode;
      break;
    }
    if (live(r)) {
      if (await m.waitExit(r.id, 500)) await m.finalize(r.id);
      continue;
    }
    if (condition === 'not-running') {
      code = r.exitCode;
      break;
    }
    if (condition === 'next-exit' && r.state !== 'created' && (live(first) || r.finishedAt !== first.finishedAt)) {
      code = r.exitCode;
      break;
    }
    await sleep(100, ctx.signal);
  }
  out.end(`${JSON.stringify({ Error: null, StatusCode: code })}\n`);
}

/**
 * POST /containers/{id}/attach: the hijacked connection carries the container's output (framed
 * without a TTY) until its run exits. With stdin on an OpenStdin container it is an engine
 * attach session: the client's bytes go to the container's stdin (attachStdin).
 */
async function attach(ctx: ApiContext): Promise<void> {
  const rec = await mgr(ctx).get(ctx.params.name!);
  const stream = boolQuery(ctx, 'stream');
  const logs = boolQuery(ctx, 'logs');
  if (!stream && !logs) throw badRequest('Bad parameters: you must choose at least one stream (stream or logs)');
  const want = { stdout: boolQuery(ctx, 'stdout'), stderr: boolQuery(ctx, 'stderr') };
  if (stream && boolQuery(ctx, 'stdin') && rec.spec.config.OpenStdin) return attachStdin(ctx, rec, want, logs);
  const conn = ctx.reply.hijack(RAW_STREAM);
  conn.input.resume();
  const output = stream
    ? attachOutput(ctx.services.engine, rec.id, { logs, ...want, signal: ctx.signal })
    : containerLogs(ctx.services.engine, rec.id, want);
  await pumpChunks(output, conn.output, rec.spec.config.Tty);
  conn.close();
}

/** The engine session of an attach with stdin: connected now, or at the container's next start. */
function stdinSession(ctx: ApiContext, rec: ContainerRecord, want: { stdout: boolean; stderr: boolean }): Promise<AttachSession> {
  return mgr(ctx).attach(rec.id, { stdin: true, ...want, detachKeys: stringQuery(ctx, 'detachKeys') }, { waitForStart: true });
}

/**
 * An attach session with stdin (docker run -i/-it, attach, start -ai). On a container that is
 * not running it waits for the next start, which connects it before the process runs, so
 * neither output nor early stdin is lost. Detach keys (detachKeys, default ctrl-p,ctrl-q) or
 * a client that goes away end only the attach: the container runs on.
 */
async function attachStdin(ctx: ApiContext, rec: ContainerRecord, want: { stdout: boolean; stderr: boolean }, logs: boolean): Promise<void> {
  const session = await stdinSession(ctx, rec, want);
  const leave = () => session.detach();
  ctx.signal.addEventListener('abort', leave, { once: true });
  const conn = ctx.reply.hijack(RAW_STREAM);
  pipeClientStdin(conn.input, session, closesStdin(rec.spec.config));
  try {
    if (logs) await pumpChunks(containerLogs(ctx.services.engine, rec.id, want), conn.output, session.tty);
    await pumpChunks(session.output as AsyncIterable<OutputChunk>, conn.output, session.tty);
  } finally {
    ctx.signal.removeEventListener('abort', leave);
    leave();
    conn.close();
  }
}

/**
 * GET /containers/{id}/attach/ws: the same output as a websocket, one message per chunk and
 * without framing (docker's form for browsers); with stdin, each message in goes to the
 * container's stdin.
 */
async function attachWs(ctx: ApiContext): Promise<void> {
  const rec = await mgr(ctx).get(ctx.params.name!);
  const want = { stdout: boolQuery(ctx, 'stdout'), stderr: boolQuery(ctx, 'stderr') };
  // attach before the upgrade, so a refusal (paused, bad detach keys) is still an HTTP answer
  const session = boolQuery(ctx, 'stdin') && rec.spec.config.OpenStdin ? await stdinSession(ctx, rec, want) : undefined;
  const ws = await ctx.reply.websocket();
  const ac = new AbortController();
  ws.on('close', () => ac.abort());
  ctx.signal.addEventListener('abort', () => ac.abort(), { once: true });
  let output: AsyncIterable<LogChunk>;
  if (session) {
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      session.input.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
    });
    // a websocket has no half-close: its end is the client going away
    ac.signal.addEventListener('abort', () => endClientStdin(session, false), { once: true });
    output = session.output as AsyncIterable<OutputChunk>;
  } else {
    output = attachOutput(ctx.services.engine, rec.id, { logs: boolQuery(ctx, 'logs'), ...want, signal: ac.signal });
  }
  try {
    for await (const c of output) {
      if (ws.readyState !== ws.OPEN) break;
      ws.send(c.data);
      // backpressure: wait while this client's buffer is large
      while (ws.bufferedAmount > 1 << 20 && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    session?.detach();
  }
  if (ws.readyState === ws.OPEN) ws.close(1000);
}

const pathStatHeader = (st: PathStat) => Buffer.from(JSON.stringify(st)).toString('base64');

/** HEAD /containers/{id}/archive: the X-Docker-Container-Path-Stat of `path`. */
async function archiveHead(ctx: ApiContext): Promise<void> {
  const st = await statContainerPath(ctx.services.engine, ctx.params.name!, stringQuery(ctx, 'path') ?? '');
  ctx.reply.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(st));
  ctx.reply.empty(200);
}

/** GET /containers/{id}/archive: `path` as a tar (docker cp CONTAINER:PATH ...). */
async function archiveGet(ctx: ApiContext): Promise<void> {
  const { stat, tar, done } = await getArchive(ctx.services.engine, ctx.params.name!, stringQuery(ctx, 'path') ?? '');
  ctx.reply.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(stat));
  const out = ctx.reply.stream(200, 'application/x-tar');
  ctx.signal.addEventListener('abort', () => tar.destroy(), { once: true });
  try {
    await pipeline(tar, out);
  } catch (e) {
    if (!ctx.signal.aborted) throw e;
  } finally {
    await done.catch(() => {});
  }
}

/** PUT /containers/{id}/archive: extract the tar on the body into the directory `path`. */
async function archivePut(ctx: ApiContext): Promise<void> {
  await putArchive(ctx.services.engine, ctx.params.name!, stringQuery(ctx, 'path') ?? '', ctx.body, { noOverwriteDirNonDir: boolQuery(ctx, 'noOverwriteDirNonDir'), copyUIDGID: boolQuery(ctx, 'copyUIDGID') });
  ctx.reply.empty(200);
}

/** POST /containers/{id}/resize?h=&w=: the tty's size (docker's client sends it at start and on SIGWINCH). */
async function resize(ctx: ApiContext): Promise<void> {
  const rows = intQuery(ctx, 'h');
  const cols = intQuery(ctx, 'w');
  if (rows === undefined || cols === undefined) throw badRequest('strconv.Atoi: parsing "": invalid syntax (give both h and w)');
  await mgr(ctx).resize(ctx.params.name!, { rows, cols });
  ctx.reply.empty(200);
}

export const containerRoutes: Route[] = [
  { method: 'GET', path: '/containers/json', handler: list },
  { method: 'POST', path: '/containers/create', handler: create },
  { method: 'POST', path: '/containers/prune', handler: prune },
  { method: 'GET', path: '/containers/{name:.*}/json', handler: inspect },
  { method: 'GET', path: '/containers/{name:.*}/top', handler: top },
  { method: 'POST', path: '/containers/{name:.*}/rename', handler: rename },
  { method: 'GET', path: '/containers/{name:.*}/stats', handler: stats },
  { method: 'GET', path: '/containers/{name:.*}/logs', handler: logs },
  { method: 'GET', path: '/containers/{name:.*}/changes', handler: changes },
  { method: 'GET', path: '/containers/{name:.*}/export', handler: exportFs },
  { method: 'POST', path: '/containers/{name:.*}/start', handler: start },
  { method: 'POST', path: '/containers/{name:.*}/stop', handler: stop },
  { method: 'POST', path: '/containers/{name:.*}/restart', handler: restart },
  { method: 'POST', path: '/containers/{name:.*}/update', handler: update },
  { method: 'POST', path: '/containers/{name:.*}/kill', handler: kill },
  { method: 'POST', path: '/containers/{name:.*}/pause', handler: pause },
  { method: 'POST', path: '/containers/{name:.*}/unpause', handler: unpause },
  { method: 'POST', path: '/containers/{name:.*}/wait', handler: wait },
  { method: 'POST', path: '/containers/{name:.*}/attach', handler: attach, hijack: true },
  { method: 'GET', path: '/containers/{name:.*}/attach/ws', handler: attachWs, hijack: true },
  { method: 'POST', path: '/containers/{name:.*}/resize', handler: resize },
  { method: 'HEAD', path: '/containers/{name:.*}/archive', handler: archiveHead },
  { method: 'GET', path: '/containers/{name:.*}/archive', handler: archiveGet },
  { method: 'PUT', path: '/containers/{name:.*}/archive', handler: archivePut },
  { method: 'DELETE', path: '/containers/{name:.*}', handler: remove },
];

