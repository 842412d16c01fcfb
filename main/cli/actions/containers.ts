// ps, logs, exec, diff, commit, inspect, container prune, events.
import { containerFilter, containerLogs, ContainerRecord, displayState, Engine, humanAgo, humanSize, InvalidArgumentError, isReference, matchLabel, EventFollower, eventFilters, eventMatches, dockerEvent, eventTime, parseTimeFilter, commandLine, dirSize, portsColumn, shortId, statusText, writeStreamAtomic } from '../../engine/index.js';
import { ExitCode } from '../output.js';
import { withEngine } from './with-engine.js';
import { pipeline } from 'node:stream/promises';
import { checkTerminal, joinTerminal, terminalSize } from '../terminal.js';
import { goTime } from '../go-time.js';
import { tabwriter } from '../format.js';
import { stdout, writeOut } from '../stdout.js';

/** For the top-level `inspect` (images helper): a container's docker-shaped JSON. */
export async function inspectContainerJSON(engine: Engine, ref: string): Promise<object> {
  return engine.containers.inspect(ref);
}

// ------------------------------------------------------------------ ps

/** docker's COMMAND column: the command line, cut to 20 characters with an ellipsis, quoted. */
export function commandColumn(rec: ContainerRecord, trunc: boolean): string {
  let cmd = commandLine(rec);
  if (trunc && [...cmd].length > 20) cmd = `${[...cmd].slice(0, 19).join('')}…`;
  return JSON.stringify(cmd);
}


/** The fields docker's ps templates know, as strings (what `{{json .}}` prints). */
export function psRow(rec: ContainerRecord, trunc: boolean, ports = '', networks = [rec.spec.hostConfig.NetworkMode]): Record<string, string> {
  const labels = rec.spec.config.Labels ?? {};
  return {
    Command: commandColumn(rec, trunc),
    CreatedAt: goTime(rec.created),
    ID: trunc ? shortId(rec.id) : rec.id,
    Image: rec.imageRef,
    Labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: '0',
    Mounts: (rec.spec.hostConfig.Binds ?? []).map((b) => b.split(':')[0]).join(','),
    Names: rec.name,
    Networks: networks.join(','),
    Ports: ports,
    RunningFor: humanAgo(rec.created),
    Size: '0B',
    State: displayState(rec),
    Status: statusText(rec),
  };
}

const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const PS_HEADERS = { ID: 'CONTAINER ID', RunningFor: 'CREATED', Names: 'NAMES', CreatedAt: 'CREATED AT', Image: 'IMAGE', Command: 'COMMAND' };

/** `ps --filter k=v` flags -> the engine's container filter (the one the Engine API uses). */
function psFilter(engine: Engine, recs: ContainerRecord[], filters: string[]): (r: ContainerRecord) => boolean {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const i = f.indexOf('=');
    if (i < 0) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    byKey.set(f.slice(0, i), [...(byKey.get(f.slice(0, i)) ?? []), f.slice(i + 1)]);
  }
  return containerFilter(engine, recs, byKey);
}

export async function ps(o: { all?: boolean; quiet?: boolean; noTrunc?: boolean; filter?: string[]; format?: string; last?: number; latest?: boolean }): Promise<void> {
  await withEngine(async (engine) => {
    const all = o.all || o.latest || o.last !== undefined || (o.filter ?? []).some((f) => f.startsWith('status=') || f.startsWith('exited='));
    const listed = await engine.containers.list({ all });
    let recs = listed.filter(psFilter(engine, listed, o.filter ?? []));
    if (o.latest) recs = recs.slice(0, 1);
    if (o.last !== undefined && o.last >= 0) recs = recs.slice(0, o.last);
    const trunc = !o.noTrunc;
    if (o.quiet) {
      writeOut(recs.map((r) => `${trunc ? shortId(r.id) : r.id}\n`).join(''));
      return;
    }
    const { formatTemplate } = await import('../format.js');
    const tpl = o.format ?? PS_TABLE;
    writeOut(formatTemplate(tpl, recs.map((r) => psRow(r, trunc, portsColumn(engine.store.paths.root, r), engine.networks.networkNames(r))), { headers: PS_HEADERS, defaultTable: PS_TABLE.slice(6) }));
  });
}

// ------------------------------------------------------------------ logs

/** docker logs: the engine's one log reader (the Engine API's too), with docker's time forms for --since/--until. */
export async function logs(name: string, o: { follow?: boolean; timestamps?: boolean; tail?: string; since?: string; until?: string }): Promise<void> {
  await withEngine(async (engine) => {
    const tail = o.tail === undefined || o.tail === 'all' ? -1 : Number(o.tail);
    if (!Number.isInteger(tail)) throw new InvalidArgumentError(`invalid value for --tail: ${o.tail}: use a number or "all"`);
    const since = o.since ? parseTimeFilter(o.since, 'since') : undefined;
    const until = o.until ? parseTimeFilter(o.until, 'until') : undefined;
    for await (const c of containerLogs(engine, name, { follow: o.follow, timestamps: o.timestamps, tail, since, until })) {
      (c.stream === 'stderr' ? process.stderr : stdout()).write(c.data);
    }
  });
}

// ------------------------------------------------------------------ exec

export async function exec(
  name: string,
  cmd: string[],
  o: { interactive?: boolean; tty?: boolean; detach?: boolean; detachKeys?: string; env?: string[]; workdir?: string; user?: string },
): Promise<void> {
  const stdin = !!o.interactive;
  if (!o.detach) checkTerminal(!!o.tty, stdin);
  const code = await withEngine(async (engine) => {
    const p = await engine.containers.exec(name, {
      cmd,
      env: o.env,
      workdir: o.workdir,
      user: o.user,
      tty: o.tty,
      interactive: o.interactive,
      attach: o.detach ? undefined : { stdin, stdout: true, stderr: true, detachKeys: o.detachKeys, size: terminalSize() },
    });
    if (!p.session) return 0;
    // docker exec proxies no signals: ctrl-c without a tty ends this CLI, not the process.
    if ((await joinTerminal(engine, name, p.session, { stdin, sigProxy: false })) === 'detached') return 0;
    return p.wait();
  });
  if (code !== 0) throw new ExitCode(code);
}

// ------------------------------------------------------------------ diff / commit

/** docker top: ps's table for the container's processes (extra words are ps's options). */
export async function top(name: string, psArgs: string[]): Promise<void> {
  await withEngine(async (engine) => {
    const t = await engine.containers.top(name, psArgs.length ? psArgs : undefined);
    writeOut(tabwriter([t.Titles.join('\t'), ...t.Processes.map((p) => p.join('\t'))], 20));
  });
}

export async function rename(oldName: string, newName: string): Promise<void> {
  await withEngine((engine) => engine.containers.rename(oldName, newName));
}

export async function diff(name: string): Promise<void> {
  await withEngine(async (engine) => {
    const changes = await engine.containers.diff(name);
    writeOut(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
  });
}

export async function commit(name: string, repo: string | undefined, o: { message?: string; author?: string; change?: string[]; pause?: string | boolean }): Promise<void> {
  const pause = !(o.pause === false || o.pause === 'false' || o.pause === '0');
  await withEngine(async (engine) => {
    const img = await engine.containers.commit(name, { message: o.message, author: o.author, changes: o.change, pause, tag: repo });
    writeOut(`${img.id}\n`);
  });
}

// ------------------------------------------------------------------ export

/** docker export: the container's filesystem as a tar, to stdout or -o FILE (written whole or not at all). */
export async function exportFs(name: string, o: { output?: string }): Promise<void> {
  if (!o.output && process.stdout.isTTY) {
    throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  await withEngine(async (engine) => {
    const tar = await engine.containers.export(name);
    if (o.output) {
      await writeStreamAtomic(o.output, (out) => pipeline(tar, out, { end: false }));
      return;
    }
    try {
      await pipeline(tar, stdout());
    } catch (e) {
      // The reader went away (`export c | head -c 1`): what a program killed by SIGPIPE exits with.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') throw new ExitCode(141);
      throw e;
    }
  });
}

// ------------------------------------------------------------------ inspect

export async function inspect(names: string[], o: { format?: string }): Promise<void> {
  const { inspectEach } = await import('./inspect-each.js');
  await inspectEach(names, (engine, n) => engine.containers.inspect(n), o);
}

// ------------------------------------------------------------------ prune


export async function prune(o: { force?: boolean; filter?: string[] }): Promise<void> {
  const labels: string[] = [];
  let until: number | undefined;
  for (const f of o.filter ?? []) {
    const m = /^([a-z]+)(!?=)(.*)$/.exec(f);
    if (!m) throw new InvalidArgumentError(`bad format of filter (expected name=value): ${f}`);
    if (m[1] === 'label') labels.push(m[2] === '!=' ? `!${m[3]}` : m[3]!);
    else if (m[1] === 'until') until = parseTimeFilter(m[3]!, 'until filter');
    else throw new InvalidArgumentError(`invalid filter '${m[1]}': container prune takes label and until`);
  }
  if (!o.force) {
    const { confirm } = await import('./images.js');
    if (!(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return;
  }
  await withEngine(async (engine) => {
    const sizes = new Map<string, number>();
    for (const r of await engine.containers.list({ all: true })) sizes.set(r.id, dirSize(engine.containers.files(r.id).upper));
    const gone = await engine.containers.prune({ labels, until });
    let total = 0;
    if (gone.length) {
      writeOut(`Deleted Containers:\n${gone.map((id) => `${id}\n`).join('')}\n`);
      for (const id of gone) total += sizes.get(id) ?? 0;
    }
    writeOut(`Total reclaimed space: ${humanSize(total)}\n`);
  });
}

// ------------------------------------------------------------------ events

export async function events(o: { since?: string; until?: string; filter?: string[]; format?: string }): Promise<void> {
  const since = o.since ? parseTimeFilter(o.since, '--since time') : undefined;
  const until = o.until ? parseTimeFilter(o.until, '--until time') : undefined;
  const filters = eventFilters(o.filter ?? []);
  const format = o.format ? (await import('../format.js')).formatEach : undefined;
  let stop = false;
  process.on('SIGINT', () => (stop = true));
  await withEngine(async (engine) => {
    // With only --until, docker replays from the beginning; with neither, only what comes next.
    const follower = new EventFollower(() => engine.store.db, since ?? (until === undefined ? undefined : 0));
    for (;;) {
      for (const e of follower.next()) {
        if (until !== undefined && Number(e.timeNano / 1000000n) > until) return;
        if (!eventMatches(filters, e)) continue;
        if (format) {
          const d = dockerEvent(e);
          writeOut(format(o.format!, [{ ...d, Status: e.action, ID: e.actorId, From: e.attributes.image ?? '', TimeNano: d.timeNano }]));
        } else {
          const a = Object.keys(e.attributes).sort().map((k) => `${k}=${e.attributes[k]}`).join(', ');
          writeOut(`${eventTime(e.timeNano)} ${e.type} ${e.action} ${e.actorId}${a ? ` (${a})` : ''}\n`);
        }
      }
      if (until !== undefined && Date.now() > until) return;
      if (stop) return;
      await new Promise((res) => setTimeout(res, 200));
      if (stop) return;
    }
  });
}

