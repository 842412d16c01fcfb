import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { containerChanges, ContainerRecord, dockerTime, Engine, EngineError, ErrorCode, ImageRecord, InvalidArgumentError, login, logout, NotFoundError, parseLogLine, removeImage } from '../engine/index.js';
import type { ContainerSummary, LogLine, HistoryRow, ImageDetail, ImageSummary, LineageInfo, LineageNode } from '../../shared/api.js';
import type { Handlers } from './dispatch.js';
import type { TaskRunner } from './tasks.js';
import { layerFiles } from './layer-files.js';
import type { EventHub } from './hub.js';
import { UiSettings } from './settings.js';
import { ExecSessions } from './exec-sessions.js';
import { listRegistryLogins } from './registry-logins.js';
import { publishedLinks } from './published-links.js';

const VERSION = '0.1.0';

/** A contract method whose engine code has not landed in this build: say so, never pretend. */
function notYet(what: string): never {
  throw new EngineError(ErrorCode.UNAVAILABLE, `${what} is not available in this build of the engine yet`);
}

interface LineageRow {
  image_id: string;
  kind: string;
  parent_image_id: string | null;
  container_id: string | null;
  container_name: string | null;
  build_id: string | null;
  detail: string;
  created_at: number;
}

interface BuildRow {
  id: string;
  dockerfile: string;
  context: string;
  args: string;
  steps: string;
  status: string;
  error: string | null;
  started: number;
  duration: number | null;
  image_id: string | null;
}

function parseJSON<T>(s: string, fallback: T): T {
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

function lineageOf(row: LineageRow | undefined): LineageInfo | null {
  if (!row) return null;
  return {
    kind: row.kind,
    parentImageId: row.parent_image_id,
    containerId: row.container_id,
    containerName: row.container_name,
    buildId: row.build_id,
    detail: parseJSON<Record<string, unknown>>(row.detail, {}),
    createdAt: row.created_at,
  };
}

function toSummary(r: ContainerRecord, root: string): ContainerSummary {
  return {
    id: r.id,
    name: r.name,
    image: r.imageRef,
    imageId: r.imageId,
    command: [r.spec.path, ...r.spec.args].filter(Boolean).join(' '),
    created: r.created,
    state: r.state === 'exiting' ? 'exited' : r.state,
    exitCode: r.exitCode,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    stoppedByUser: r.stoppedByUser,
    oomKilled: r.oomKilled,
    ports: Object.keys(r.spec.config.ExposedPorts ?? {}).join(', '),
    published: publishedLinks(root, r),
  };
}

/** Multi-select actions: each container on its own, so one failure does not hide the others. */
async function batch(ids: string[], act: (id: string) => Promise<unknown>): Promise<{ id: string; error?: string }[]> {
  const out: { id: string; error?: string }[] = [];
  for (const id of ids) {
    try {
      await act(id);
      out.push({ id });
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      out.push({ id, error: e.message });
    }
  }
  return out;
}

/**
 * Log lines after a byte cursor, read asynchronously; a first read of a big log starts near
 * its end (the page asks for a tail anyway). Partial (P) records join the line they end.
 */
async function readLogLines(path: string, after: number, tail: number): Promise<{ lines: LogLine[]; cursor: number }> {
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size <= after) return { lines: [], cursor: Math.min(after, size) };
  const from = after === 0 ? Math.max(0, size - 4 * 1024 * 1024) : after;
  const fh = await open(path, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    text = buf.toString('utf8');
  } finally {
    await fh.close();
  }
  let start = 0;
  if (from !== after) start = text.indexOf('\n') + 1; // skip the record cut by the window
  const lastNl = text.lastIndexOf('\n');
  if (lastNl < start) return { lines: [], cursor: after };
  const cursor = from + Buffer.byteLength(text.slice(0, lastNl + 1));
  const lines: LogLine[] = [];
  const partial: Record<string, string> = {};
  for (const raw of text.slice(start, lastNl).split('\n')) {
    const e = parseLogLine(raw);
    if (!e) continue;
    if (!e.full) {
      partial[e.stream] = (partial[e.stream] ?? '') + e.text;
      continue;
    }
    lines.push({ time: dockerTime(e.time), stream: e.stream, text: (partial[e.stream] ?? '') + e.text });
    partial[e.stream] = '';
  }
  return { lines: after === 0 ? lines.slice(-tail) : lines, cursor };
}

/**
 * The one handler table behind the contract: the WebSocket bridge and the Electron IPC
 * binding both dispatch into it. Handlers call the engine in-process and stay thin; heavy
 * work is the engine's (and runs as a task when it is long).
 */
export function createHandlers(engine: Engine, tasks: TaskRunner, hub: EventHub, execs = new ExecSessions(hub, engine)): Handlers {
  const settings = new UiSettings(join(engine.store.paths.root, 'ui-settings.json'));
  const db = () => engine.store.db;

  const containerCounts = (): Map<string, number> => {
    const rows = db().prepare(`SELECT image_id, COUNT(*) AS n FROM containers GROUP BY image_id`).all() as { image_id: string; n: number }[];
    return new Map(rows.map((r) => [r.image_id, r.n]));
  };

  const lineageRow = (id: string) => db().prepare(`SELECT * FROM lineage WHERE image_id = ?`).get(id) as LineageRow | undefined;

  const summary = (img: ImageRecord, counts: Map<string, number>, origins: Map<string, string>): ImageSummary => ({
    id: img.id,
    tags: img.tags,
    created: img.created,
    size: img.size,
    layers: img.layers.length,
    containers: counts.get(img.id) ?? 0,
    addedAt: img.addedAt,
    origin: origins.get(img.id) ?? '',
  });

  return {
    'system.info': () => ({
      root: engine.store.paths.root,
      version: VERSION,
      features: { images: true, containers: true, build: true, load: true, save: true, remove: true, prune: true, commit: true, logs: true, diff: true },
    }),

    'images.list': () => {
      const counts = containerCounts();
      const origins = new Map((db().prepare(`SELECT image_id, kind FROM lineage`).all() as { image_id: string; kind: string }[]).map((r) => [r.image_id, r.kind]));
      return engine.images.list().map((i) => summary(i, counts, origins));
    },

    'images.inspect': ({ ref }) => {
      const img = engine.images.resolve(ref);
      const cfg = engine.images.config(img);
      const rc = cfg.config ?? {};
      const layers = img.layers;
      // Layer i was made by the i-th history entry that is not empty_layer (docker's mapping).
      const history: HistoryRow[] = [];
      let li = 0;
      for (const h of cfg.history ?? []) {
        const empty = Boolean(h.empty_layer);
        const idx = empty || li >= layers.length ? null : li++;
        history.push({ created: h.created ?? null, createdBy: h.created_by ?? '', comment: h.comment ?? '', emptyLayer: empty, layerIndex: idx, size: idx === null ? 0 : layers[idx]!.size });
      }
      const layerHistory = new Map(history.filter((h) => h.layerIndex !== null).map((h) => [h.layerIndex!, h]));
      const detail: ImageDetail = {
        id: img.id,
        tags: img.tags,
        created: img.created,
        size: img.size,
        author: cfg.author ?? '',
        comment: typeof cfg.comment === 'string' ? cfg.comment : '',
        architecture: cfg.architecture ?? '',
        os: cfg.os ?? '',
        manifestDigest: img.manifestDigest,
        config: {
          env: rc.Env ?? [],
          entrypoint: rc.Entrypoint ?? null,
          cmd: rc.Cmd ?? null,
          workingDir: rc.WorkingDir ?? '',
          user: rc.User ?? '',
          exposedPorts: Object.keys(rc.ExposedPorts ?? {}),
          volumes: Object.keys(rc.Volumes ?? {}),
          labels: rc.Labels ?? {},
          stopSignal: rc.StopSignal ?? '',
        },
        layers: layers.map((l, i) => ({
          index: i,
          chainId: l.chainId,
          diffId: l.diffId,
          size: l.size,
          blobDigest: l.blobDigest,
          blobSize: l.blobSize,
          mediaType: l.mediaType,
          createdBy: layerHistory.get(i)?.createdBy ?? '',
          created: layerHistory.get(i)?.created ?? null,
          comment: layerHistory.get(i)?.comment ?? '',
        })),
        history,
        lineage: lineageOf(lineageRow(img.id)),
        containers: (db().prepare(`SELECT id, name, state FROM containers WHERE image_id = ? ORDER BY created`).all(img.id) as { id: string; name: string; state: string }[]),
      };
      return detail;
    },

    'images.layerFiles': async ({ image, layer, limit }) => {
      const img = engine.images.resolve(image);
      const l = img.layers[layer];
      if (!l) throw new InvalidArgumentError(`image ${image} has ${img.layers.length} layers; there is no layer ${layer}`);
      const snap = engine.images.snapshots.path(l.chainId);
      try {
        await stat(snap);
      } catch {
        throw new NotFoundError(`the snapshot of layer ${layer} is missing from the store; run \`slipway system check --repair\``);
      }
      const lowers = img.layers.slice(0, layer).reverse().map((x) => engine.images.snapshots.path(x.chainId));
      return layerFiles(snap, lowers, limit);
    },

    'images.tag': ({ ref, target }) => {
      engine.images.tag(ref, target);
      return null;
    },

    'images.remove': async ({ refs, force }) => {
      return refs.map((ref) => {
        try {
          const r = removeImage(engine.images, ref, force);
          return {
            ref,
            untagged: r.events.flatMap((e) => (e.kind === 'Untagged' ? [e.name] : [])),
            deleted: r.events.flatMap((e) => (e.kind === 'Deleted' ? [e.id] : [])),
          };
        } catch (e) {
          if (!(e instanceof EngineError)) throw e;
          return { ref, untagged: [], deleted: [], error: e.message };
        }
      });
    },
    'images.prune': ({ all }) => ({ task: tasks.runOp(engine, 'prune', all ? 'Prune unused images' : 'Prune dangling images', { all }) }),
    'images.load': ({ path }) => ({ task: tasks.runOp(engine, 'load', `Load ${basename(path)}`, { path }) }),
    'images.save': ({ refs, path, format }) => ({ task: tasks.runOp(engine, 'save', `Save ${refs.join(', ')}`, { refs, path, format }) }),
    'images.pull': ({ ref, tlsVerify }) => ({ task: tasks.runOp(engine, 'pull', `Pull ${ref}`, { ref, tlsVerify }) }),
    'images.push': ({ ref, tlsVerify }) => {
      // fail now, not in the task, for an image that is not here
      if (!engine.images.find(ref)) throw new NotFoundError(`No such image: ${ref}; tag a local image with that name first`);
      return { task: tasks.runOp(engine, 'push', `Push ${ref}`, { ref, tlsVerify }) };
    },

    'registry.login': async ({ registry, username, password, tlsVerify }) => {
      return { registry: (await login(registry, { username, password }, { tlsVerify })).domain };
    },
    'registry.logout': async ({ registry }) => {
      const r = logout(registry);
      return { registry: r.domain, removed: r.removed };
    },
    'registry.list': () => listRegistryLogins(),

    'containers.list': async ({ all }) => (await engine.containers.list({ all })).map((r) => toSummary(r, engine.store.paths.root)),
    'containers.inspect': ({ id }) => engine.containers.inspect(id),
    'containers.run': async ({ image, name, cmd, env, start }) => {
      const rec = await engine.containers.create({ ...(name ? { name } : {}), Config: { Image: image, Cmd: cmd?.length ? cmd : null, Env: env ?? [] } });
      if (start) await engine.containers.start(rec.id);
      return { id: rec.id, name: rec.name };
    },
    'containers.start': ({ ids }) => batch(ids, (id) => engine.containers.start(id)),
    'containers.stop': ({ ids, timeout }) => batch(ids, (id) => engine.containers.stop(id, timeout)),
    'containers.restart': ({ ids }) => batch(ids, (id) => engine.containers.restart(id)),
    'containers.kill': ({ ids, signal }) => batch(ids, (id) => engine.containers.kill(id, signal)),
    'containers.remove': ({ ids, force }) => batch(ids, (id) => engine.containers.remove(id, { force })),
    'containers.logs': async ({ id, tail, after }) => {
      const rec = await engine.containers.get(id);
      return readLogLines(engine.containers.files(rec.id).log, after, tail);
    },
    'containers.diff': async ({ id }) => {
      return containerChanges(engine, id);
    },
    'containers.commit': async ({ id, repo, message, author, changes }) => {
      const rec = await engine.containers.get(id); // fail now, not in the task, for an unknown name
      return { task: tasks.runOp(engine, 'commit', `Commit ${rec.name}`, { id: rec.id, repo, message, author, changes }) };
    },

    'exec.start': async ({ id, cmd, cols, rows }) => {
      const rec = await engine.containers.get(id);
      if (rec.state !== 'running') throw new EngineError(ErrorCode.CONFLICT, `container ${rec.name} is not running: start it to open a terminal`);
      return { session: await execs.start(rec.id, cmd, cols, rows) };
    },
    'exec.input': ({ session, data }) => {
      execs.input(session, data);
      return null;
    },
    'exec.resize': ({ session, cols, rows }) => {
      execs.resize(session, cols, rows);
      return null;
    },
    'exec.close': ({ session }) => {
      execs.close(session);
      return null;
    },

    'build.start': async (req) => {
      // The composed text is kept as a file (named by its digest) so the builds table can point
      // at it and Rebuild shows exactly what was built.
      const dir = join(engine.store.paths.root, 'ui-dockerfiles');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${createHash('sha256').update(req.dockerfile).digest('hex').slice(0, 32)}.Dockerfile`);
      await writeFile(file, req.dockerfile);
      const ctxStat = await stat(req.context).catch(() => undefined);
      if (!ctxStat?.isDirectory()) throw new InvalidArgumentError(`the build context ${req.context} is not a folder; choose the folder COPY and ADD read from`);
      return {
        task: tasks.runOp(engine, 'build', `Build ${req.tags[0] ?? basename(req.context)}`, {
          dockerfileFile: file, context: req.context, tags: req.tags, buildArgs: req.buildArgs, noCache: req.noCache, target: req.target,
        }),
      };
    },
    'build.readDockerfile': async ({ path }) => {
      const st = await stat(path).catch(() => {
        throw new NotFoundError(`no such file or folder: ${path}`);
      });
      const file = st.isDirectory() ? join(path, 'Dockerfile') : path;
      const text = await readFile(file, 'utf8').catch(() => {
        throw new NotFoundError(`no Dockerfile in ${path}; drop a Dockerfile or a folder that holds one`);
      });
      if (!/dockerfile|containerfile/i.test(basename(file)) && !/^\s*(#.*\n\s*)*FROM\s/im.test(text)) {
        throw new InvalidArgumentError(`${file} does not look like a Dockerfile (no FROM line)`);
      }
      if (text.length > 1_000_000) throw new InvalidArgumentError(`${file} is larger than 1 MB; that is not a Dockerfile`);
      return { dockerfile: text, dockerfilePath: file, context: st.isDirectory() ? path : dirname(file) };
    },
    'builds.list': async () => {
      const rows = db().prepare(`SELECT * FROM builds ORDER BY started DESC LIMIT 500`).all() as BuildRow[];
      const tagsOf = db().prepare(`SELECT name FROM tags WHERE image_id = ? ORDER BY tagged_at`);
      return Promise.all(rows.map(async (b) => {
        const steps = parseJSON<{ id?: number; n?: number; name?: string; instruction?: string; status?: string; reason?: string; ms?: number }[]>(b.steps, []);
        const text = b.dockerfile === '-' ? '' : await readFile(b.dockerfile, 'utf8').catch(() => '');
        return {
          id: b.id,
          status: b.status,
          dockerfile: text || `# the Dockerfile (${b.dockerfile}) is no longer readable`,
          context: b.context,
          args: parseJSON<Record<string, string>>(b.args, {}),
          tags: b.image_id ? (tagsOf.all(b.image_id) as { name: string }[]).map((t) => t.name) : [],
          steps: steps.map((s, i) => ({
            index: s.id ?? s.n ?? i + 1,
            instruction: s.name ?? s.instruction ?? '',
            status: s.status ?? '',
            cached: s.status === 'cached',
            ...(s.reason ? { reason: s.reason } : {}),
            ...(typeof s.ms === 'number' ? { durationMs: s.ms } : {}),
          })),
          startedAt: new Date(b.started).toISOString(),
          durationMs: b.duration,
          imageId: b.image_id,
          error: b.error,
        };
      }));
    },

    'lineage.graph': () => {
      const images = engine.images.list();
      const present = new Set(images.map((i) => i.id));
      const rows = db().prepare(`SELECT * FROM lineage`).all() as LineageRow[];
      const byImage = new Map(rows.map((r) => [r.image_id, r]));
      const nodes: LineageNode[] = [];
      const containerNodes = new Map<string, LineageNode>();
      for (const img of images) {
        const lin = byImage.get(img.id);
        nodes.push({
          id: img.id,
          kind: 'image',
          label: img.tags[0] ?? img.id.slice(7, 19),
          origin: lin?.kind ?? 'unknown',
          parent: lin?.parent_image_id ?? null,
          via: lin?.container_id ?? lin?.build_id ?? null,
          present: true,
        });
        if (lin?.kind === 'commit' && lin.container_id && !containerNodes.has(lin.container_id)) {
          containerNodes.set(lin.container_id, {
            id: lin.container_id, kind: 'container', label: lin.container_name ?? lin.container_id.slice(0, 12),
            origin: 'container', parent: lin.parent_image_id, via: null, present: false,
          });
        }
      }
      const live = db().prepare(`SELECT id, name, image_id FROM containers`).all() as { id: string; name: string; image_id: string }[];
      for (const c of live) {
        const n = containerNodes.get(c.id);
        if (n) n.present = true;
        else containerNodes.set(c.id, { id: c.id, kind: 'container', label: c.name, origin: 'container', parent: c.image_id, via: null, present: true });
      }
      // A parent that was deleted since still anchors its children, as a ghost node.
      for (const n of nodes.slice()) {
        if (n.parent && !present.has(n.parent) && !nodes.some((m) => m.id === n.parent)) {
          nodes.push({ id: n.parent, kind: 'image', label: n.parent.slice(7, 19), origin: 'deleted', parent: null, via: null, present: false });
        }
      }
      return { nodes: [...nodes, ...containerNodes.values()] };
    },

    'settings.get': () => settings.get(),
    'settings.set': (patch) => {
      const next = settings.set(patch);
      hub.publish('settings.changed', next);
      return next;
    },

    'tasks.list': () => tasks.list(),
    'tasks.cancel': ({ task }) => {
      tasks.cancel(task);
      return null;
    },
  };
}
