import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { normalizeTagged } from '../image/reference.js';
import { basename, join, posix, relative, resolve } from 'node:path';
import type { Engine } from '../engine.js';
import type { ImageConfig, HistoryEntry } from '../image/types.js';
import type { ImageRecord, LayerRecord, NewLayer } from '../image/images.js';
import { checkRunnable, formatPlatform, hostPlatform, parsePlatform, samePlatform, type Platform } from './platform.js';
import { NotFoundError, errorMessage, EngineError, ErrorCode } from '../model/errors.js';
import { errnoCode } from '../util/native.js';
import { liveTempName, newId } from '../util/ids.js';
import { sha256 } from '../util/digest.js';
import { parseDockerfile, parseDockerfileCached, loadParser, dockerfileError, flag, flags, boolFlag, type Instruction, type ParsedDockerfile } from './dockerfile.js';
import { BuildContext } from './context.js';
import { stepKey } from './cache.js';
import { BuildCache } from '../store/tables/build-cache.js';
import { FileHashCache } from '../store/tables/build-file-hashes.js';
import { LayerView } from './fsview.js';
import { applyConfigInstruction, DEFAULT_SHELL, envMap, setEnv, word, words, goQuoteList, type ConfigState } from './config-steps.js';
import { argDecls, globalArgValues, planStages, PROXY_ARGS, refOf, type StagePlan } from './stages.js';
import { copyInputs, resolveGitSources, resolveSources, writeCopy, writeMkdir, type SourceItem } from './copy.js';
import { gitSshEnv } from './git.js';
import { resolveChown, type Ids } from './users.js';
import { chainOf, ensureSnapshots, layerAvailable, newLayerDir, packLayerDir, placeLayerDir, snapshotDirs, type MadeLayer } from './layers.js';
import { BuildStepError, DockerfileError } from './errors.js';
import { parseMount } from './run-mounts.js';
import { openMounts, planMounts, type MountSource } from './step-mounts.js';
import type { StepMount } from './run.js';
import { SshAgents } from './ssh.js';
import { ImportedCache } from './imported-cache.js';
import { INLINE_KEY, inlineCacheValue, portable, readInlineCache, readLocalCache, writeLocalCache, type CacheFrom, type CacheSource } from './cache-io.js';
import { processWord } from './lexer.js';
import type { BuildEvent, BuildRequest, BuildResult, StepInfo, StepRecord } from './events.js';
import { now, trace } from '../util/trace.js';
import { buildsTable } from '../store/tables/builds.js';

export type { BuildEvent, BuildRequest, BuildResult } from './events.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const HISTORY_COMMENT = 'buildkit.dockerfile.v0';

interface StageResult {
  config: ImageConfig;
  layers: LayerRecord[];
  key: string;
  rootImageId?: string;
  /** what its RUN steps execute as (FROM --platform, else the build's target) */
  platform: Platform;
  /** the cache keys of its steps, its base stages' first (what --cache-to exports) */
  keys: string[];
}

interface State extends StageResult {
  args: Map<string, string>;
  cs: ConfigState;
  /** the first step of this stage that missed the cache: later misses are explained by it */
  firstMiss?: string;
  /** the last step's layer, being packed while the next step runs on its dir */
  pending?: PendingLayer;
}

/**
 * At most one per stage: a step's layer dir is final when its command ends, and only its blob
 * (tar, digest, fsync) is still being written. The next step reads or mounts the dir where it
 * is; the dir moves to snapshots/<chainID> when that step's own work is done, so nothing is
 * renamed under a step that uses it.
 */
interface PendingLayer {
  /** its step, as progress names it */
  name: string;
  dir: string;
  packing: Promise<NewLayer>;
  /** the step's record, once its blob is written: snapshot placed, cache row, progress */
  finish: (layer: NewLayer) => void;
  fail: (e: unknown) => void;
}

interface Shared {
  engine: Engine;
  df: ParsedDockerfile;
  req: BuildRequest;
  ctx: BuildContext;
  cache: BuildCache;
  hashes: FileHashCache;
  buildArgs: Map<string, string>;
  usedArgs: Set<string>;
  globals: Map<string, string>;
  plans: StagePlan[];
  runs: Map<number, Promise<StageRun>>;
  emit: (e: BuildEvent) => void;
  steps: StepRecord[];
  abort: AbortController;
  vertex: number;
  /** `--ssh` agents (RUN --mount=type=ssh, git over ssh) */
  ssh: SshAgents;
  /** `build --platform` (default: this machine) */
  target: Platform;
  /** rows from --cache-from */
  imported: ImportedCache;
  /** steps being made now, by cache key */
  inflight: Map<string, Promise<void>>;
}

function nowIso(sh: Shared): string {
  return sh.req.epoch !== undefined ? new Date(sh.req.epoch * 1000).toISOString().replace('.000Z', 'Z') : new Date().toISOString();
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Variables an instruction sees: ARGs in scope, overridden by ENV (Docker's precedence). */
function scope(st: State): Map<string, string> {
  const m = new Map(st.args);
  for (const [k, v] of envMap(st.config)) m.set(k, v);
  return m;
}

function view(sh: Shared, layers: LayerRecord[]): LayerView {
  return new LayerView(snapshotDirs(sh.engine, { layers }));
}

/** A stage's layer dirs as its next step sees them (bottom first): the one being packed last. */
function stageDirs(sh: Shared, st: State): string[] {
  const dirs = snapshotDirs(sh.engine, { layers: st.layers });
  if (st.pending) dirs.push(st.pending.dir);
  return dirs;
}

/**
 * Wait for the stage's pending layer and record it. A failed pack fails its own step; the step
 * that waited (the next one) gets PreviousStepFailed.
 */
async function flushPending(st: State): Promise<void> {
  const p = st.pending;
  if (!p) return;
  st.pending = undefined;
  let layer: NewLayer;
  try {
    layer = await packed(p);
  } catch (e) {
    throw new PreviousStepFailed(p.name, e);
  }
  p.finish(layer);
}

/** The pending layer's blob, or its failure reported on its own step (and its dir removed). */
async function packed(p: PendingLayer): Promise<NewLayer> {
  try {
    return await p.packing;
  } catch (e) {
    rmSync(p.dir, { recursive: true, force: true });
    p.fail(e);
    throw reported(e);
  }
}

/**
 * A stage whose steps are done. Its last layer may still be packing (`tail`): a COPY --from
 * of the stage reads that dir where it is (stageFiles), and the layer moves into place once
 * its blob is written and no such step reads it any more. `complete` is the result with every
 * layer placed: what FROM <stage>, RUN --mount from=<stage> and the image wait for.
 */
interface StageRun {
  result: StageResult;
  tail?: { dir: string; readers: number; placed: boolean; idle?: () => void };
  complete: Promise<StageResult>;
}

function stageRun(sh: Shared, index: number): Promise<StageRun> {
  let p = sh.runs.get(index);
  if (!p) {
    p = runStage(sh, index);
    sh.runs.set(index, p);
  }
  return p;
}

async function getStage(sh: Shared, index: number): Promise<StageResult> {
  return (await stageRun(sh, index)).complete;
}

/** A stage's layer dirs for a COPY --from, as soon as its steps are done; `release` when read. */
async function stageFiles(sh: Shared, index: number): Promise<{ dirs: string[]; key: string; release: () => void }> {
  const { result, tail } = await stageRun(sh, index);
  const dirs = snapshotDirs(sh.engine, { layers: result.layers });
  if (!tail || tail.placed) return { dirs, key: result.key, release: () => {} };
  tail.readers++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--tail.readers === 0) tail.idle?.();
  };
  return { dirs: [...dirs, tail.dir], key: result.key, release };
}

/** The stage's last pending layer: packed, then placed when no COPY --from reads it. */
function stageTail(st: State, result: StageResult): StageRun {
  const p = st.pending;
  st.pending = undefined;
  if (!p) return { result, complete: Promise.resolve(result) };
  const tail: NonNullable<StageRun['tail']> = { dir: p.dir, readers: 0, placed: false };
  const complete = (async () => {
    const layer = await packed(p);
    while (tail.readers > 0) await new Promise<void>((r) => (tail.idle = r));
    p.finish(layer);
    tail.placed = true;
    return result;
  })();
  complete.catch(() => {}); // the build awaits every stage's `complete`
  return { result, tail, complete };
}

/** What the step after a layer that could not be packed fails with: the cause is shown on its own step. */
class PreviousStepFailed extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`cancelled: ${step} failed`);
  }
}

function startStep(sh: Shared, stage: string, name: string, instruction: string): { info: StepInfo; t0: number; rec: StepRecord } {
  const info: StepInfo = { id: ++sh.vertex, name, stage, instruction };
  const rec: StepRecord = { id: info.id, name, status: 'running' };
  sh.steps.push(rec);
  sh.emit({ type: 'step.start', step: info });
  return { info, t0: now(), rec };
}

function history(st: State, created: string, createdBy: string, emptyLayer: boolean): void {
  const h: HistoryEntry = { created, created_by: createdBy, comment: HISTORY_COMMENT };
  if (emptyLayer) h.empty_layer = true;
  (st.config.history ??= []).push(h);
}

/** A config-only step: cached only for its timestamp, so rebuilds give the same image ID. */
function configStep(sh: Shared, st: State, createdBy: string, inHistory = true): void {
  const key = stepKey(st.key, createdBy, '');
  const row = sh.req.noCache ? undefined : (sh.cache.get(key) ?? sh.imported.configRow(key));
  const created = row?.created ?? nowIso(sh);
  if (!row) {
    sh.cache.put({ key, parentKey: st.key, instruction: createdBy, inputs: '', created });
    if (!sh.req.noCache && sh.cache.hasChildren(st.key)) st.firstMiss ??= createdBy;
  }
  // BuildKit writes no history entry for ONBUILD itself (its triggers get theirs in the child).
  if (inHistory) history(st, created, createdBy, true);
  st.key = key;
  st.keys.push(key);
}

interface LayerWork {
  keyword: string;
  /** expanded instruction: part of the key and what progress shows */
  instruction: string;
  createdBy: string;
  inputs: string;
  /** the files a COPY read, with their digests: computed for a miss only (its explanation, the cache row) */
  sources?: () => Promise<Record<string, string>>;
  /** make the layer dir (or return undefined: nothing changed) */
  make: (step: StepInfo) => Promise<MadeLayer | undefined>;
  /** called once the step is over: it no longer reads what prepare opened (a COPY --from's stage) */
  release?: () => void;
}

async function layerStep(sh: Shared, st: State, ins: Instruction, label: string, n: number, total: number, prepare: () => Promise<LayerWork>): Promise<void> {
  const { info, t0, rec } = startStep(sh, label, `[${label} ${n}/${total}] ${ins.text.split('\n')[0]}`, ins.text);
  rec.line = ins.line;
  const fail = (e: unknown) => {
    rec.status = 'failed';
    rec.ms = Math.round(now() - t0);
    const tail = e instanceof BuildStepError ? e.outputTail : [];
    const exitCode = e instanceof BuildStepError ? e.runExitCode : undefined;
    sh.emit({ type: 'step.error', step: info, message: errorMessage(e), exitCode, tail });
  };
  const done = () => {
    rec.ms = Math.round(now() - t0);
    if (rec.status === 'done') sh.emit({ type: 'step.done', step: info, ms: rec.ms });
  };
  const addLayer = (layer: LayerRecord) => {
    st.layers.push(layer);
    st.config.rootfs.diff_ids.push(layer.diffId);
    rec.layer = layer.diffId;
  };
  let release: (() => void) | undefined;
  try {
    const w = await prepare();
    release = w.release;
    const key = stepKey(st.key, w.instruction, w.inputs);
    const parentKey = st.key;
    // The same step in two stages at once (same parent, same inputs) runs once, as BuildKit's
    // solver merges equal vertices; the other waits and takes it as a cache hit.
    const running = sh.inflight.get(key);
    if (running) await running;
    let row = sh.req.noCache ? undefined : sh.cache.get(key);
    if (!row && !sh.req.noCache && !sh.imported.empty) {
      await flushPending(st);
      row = await sh.imported.layerRow(key, st.layers[st.layers.length - 1]?.chainId);
    }
    let created: string;
    let made: MadeLayer | undefined;
    let hasLayer = false;
    if (row && (!row.diff_id || (row.chain_id && layerAvailable(sh.engine, row.chain_id, row.blob_digest!)))) {
      await flushPending(st);
      sh.cache.touch(key);
      created = row.created;
      hasLayer = !!row.diff_id;
      if (row.diff_id) {
        // A cached layer's chainID was computed on the same parent chain: the key says so.
        const layer = { diffId: row.diff_id, blobDigest: row.blob_digest!, mediaType: row.media_type!, blobSize: row.blob_size!, size: row.size! };
        addLayer({ ...layer, chainId: chainOf(st.layers[st.layers.length - 1]?.chainId, layer.diffId) });
      }
      rec.status = 'cached';
      sh.emit({ type: 'step.cached', step: info });
      done();
    } else {
      const sources = await w.sources?.();
      let reason = sh.req.noCache ? '--no-cache' : row ? 'the cached layer was removed' : sh.cache.explainMiss(st.key, w.keyword, w.instruction, sources);
      if (st.firstMiss && reason.startsWith('no cache for parent')) reason = `an earlier step changed: ${st.firstMiss}`;
      st.firstMiss ??= w.instruction;
      rec.reason = reason;
      sh.emit({ type: 'step.miss', step: info, reason });
      let settle!: () => void;
      sh.inflight.set(key, new Promise<void>((r) => (settle = r)));
      const unlist = () => {
        sh.inflight.delete(key);
        settle();
      };
      try {
        made = await w.make(info);
        // The previous step's dir is no longer in use: it can move into place.
        await flushPending(st);
      } catch (e) {
        if (made) rmSync(made.dir, { recursive: true, force: true });
        unlist();
        throw e;
      }
      created = nowIso(sh);
      hasLayer = !!made;
      const record = (layer?: LayerRecord) => {
        sh.cache.put({ key, parentKey, instruction: w.instruction, inputs: w.inputs, sources, created, layer, chainId: layer?.chainId });
        unlist();
      };
      if (!made) {
        record();
        rec.status = 'done';
        done();
      } else {
        const dir = made.dir;
        const parentChain = st.layers[st.layers.length - 1]?.chainId;
        const packing = packLayerDir(sh.engine, made, { epoch: sh.req.epoch });
        // The step is done when its blob is; flushPending records it (and reports a failure).
        packing.then(
          () => {
            rec.status = 'done';
            done();
          },
          () => {},
        );
        st.pending = {
          name: info.name,
          dir,
          packing,
          finish: (nl) => {
            const layer = placeLayerDir(sh.engine, dir, parentChain, nl);
            addLayer(layer);
            record(layer);
          },
          fail: (e) => {
            unlist();
            fail(e);
          },
        };
      }
    }
    history(st, created, w.createdBy, !hasLayer);
    st.key = key;
    st.keys.push(key);
  } catch (e) {
    fail(e);
    throw reported(e instanceof PreviousStepFailed ? e.cause : e);
  } finally {
    release?.();
  }
}

/** Mark an error as already shown on its step, so a stage waiting on it does not show it again. */
function reported(e: unknown): unknown {
  if (e && typeof e === 'object') (e as { reported?: boolean }).reported = true;
  return e;
}

function copyFlagsText(sh: Shared, ins: Instruction, env: Map<string, string>): string {
  return ins.flags
    .map((f) => (f.value === null ? `--${f.name}` : `--${f.name}=${word(ins, f.value, f.name === 'from' ? sh.globals : env, sh.df.escape)}`))
    .join(' ');
}

function expandHeredoc(content: string, env: Map<string, string>, escape: string): string {
  return content.replace(/\\\$|\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)/g, (m) => (m === '\\$' ? '$' : processWord(m, env, escape)));
}

async function copyStep(sh: Shared, st: State, plan: StagePlan, ins: Instruction, label: string, n: number, total: number): Promise<void> {
  await layerStep(sh, st, ins, label, n, total, () => copyWork(sh, st, plan, ins));
}

async function copyWork(sh: Shared, st: State, plan: StagePlan, ins: Instruction): Promise<LayerWork> {
  const env = scope(st);
  const esc = sh.df.escape;
  const keyword = ins.keyword as 'COPY' | 'ADD';
  const list = ins.json ? ins.json.map((a) => word(ins, a, env, esc)) : words(ins, ins.args, env, esc);
  if (list.length < 2) throw dockerfileError(ins, `${keyword} requires at least two arguments (sources and a destination), but only one was provided`);
  const rawDest = list[list.length - 1]!;
  const srcs = list.slice(0, -1);
  if (srcs.length > 1 && !rawDest.endsWith('/')) {
    throw dockerfileError(ins, `when using ${keyword} with more than one source file, the destination must be a directory and end with a /`);
  }
  const wd = st.config.config.WorkingDir || '/';
  const dest = posix.normalize(rawDest.startsWith('/') ? rawDest : posix.join(wd, rawDest));
  const destIsDir = rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
  const chmodRaw = flag(ins, 'chmod');
  let chmod: number | undefined;
  if (chmodRaw !== undefined) {
    const v = word(ins, chmodRaw, env, esc);
    if (!/^[0-7]{3,4}$/.test(v)) throw dockerfileError(ins, `invalid --chmod "${v}": use an octal mode like 755 or 0644`);
    chmod = parseInt(v, 8);
  }
  const targetView = new LayerView(stageDirs(sh, st));
  const chownRaw = flag(ins, 'chown');
  let chown: Ids | undefined;
  if (chownRaw !== undefined) {
    try {
      chown = resolveChown(word(ins, chownRaw, env, esc), targetView);
    } catch (e) {
      throw dockerfileError(ins, errorMessage(e));
    }
  }
  let from: { view: LayerView; what: string } | undefined;
  let fromKey: string | undefined;
  const ref = plan.copyFrom.get(ins);
  let release: (() => void) | undefined;
  if (ref?.kind === 'stage') {
    const r = await stageFiles(sh, ref.index);
    release = r.release;
    from = { view: new LayerView(r.dirs), what: `stage ${sh.df.stages[ref.index]!.name ?? ref.index}` };
    fromKey = r.key;
  } else if (ref?.kind === 'image') {
    const img = await resolveImage(sh, ins, ref.ref, st.platform);
    await ensureSnapshots(sh.engine, img.layers);
    from = { view: view(sh, img.layers), what: `image ${ref.ref}` };
    fromKey = `image:${img.id}`;
  } else if (ref?.kind === 'scratch') {
    throw dockerfileError(ins, '--from=scratch has no files to copy');
  }
  try {
    const heredocs = new Map(ins.heredocs.map((h) => [h.name, { ...h, data: Buffer.from(h.expand ? expandHeredoc(h.content, env, esc) : h.content) }]));
    let items: SourceItem[];
    let gitEnv: NodeJS.ProcessEnv = {};
    try {
      const checksum = keyword === 'ADD' ? flag(ins, 'checksum') : undefined;
      items = resolveSources(keyword, srcs, heredocs, from, sh.ctx, {
        excludes: flags(ins, 'exclude').map((v) => word(ins, v, env, esc)),
        parents: keyword === 'COPY' ? (boolFlag(ins, 'parents') ?? false) : false,
        unpack: keyword === 'ADD' ? boolFlag(ins, 'unpack') : undefined,
        checksum: checksum === undefined ? undefined : word(ins, checksum, env, esc),
        keepGitDir: keyword === 'ADD' ? boolFlag(ins, 'keep-git-dir') : undefined,
      });
      // Git over ssh authenticates with the build's --ssh default agent, as BuildKit's does.
      const overSsh = items.some((i) => i.kind === 'git' && i.git.ssh);
      gitEnv = gitSshEnv(overSsh && sh.ssh.has('default') ? await sh.ssh.socket('default') : undefined);
      await resolveGitSources(items, gitEnv, sh.abort.signal);
    } catch (e) {
      throw dockerfileError(ins, errorMessage(e));
    }
    const { inputs, sources } = await trace(`build: ${keyword} sources (walk + digests)`, () => copyInputs(items, sh.hashes, fromKey));
    const flagsText = copyFlagsText(sh, ins, env);
    const instruction = `${keyword}${flagsText ? ` ${flagsText}` : ''} ${srcs.join(' ')} ${rawDest}`;
    // BuildKit's history line names only --parents, --chown and --chmod among the flags.
    const shownFlags = ins.flags.filter((f) => ['parents', 'chown', 'chmod'].includes(f.name));
    return {
      keyword,
      instruction,
      release,
      createdBy: `${keyword} ${shownFlags.length ? `${shownFlags.map((f) => (f.value === null ? `--${f.name}` : `--${f.name}=${f.value}`)).join(' ')} ` : ''}${ins.args} # buildkit`,
      inputs,
      sources: from ? undefined : sources,
      make: async () => {
        const dir = newLayerDir(sh.engine);
        try {
          await writeCopy(items, { keyword, dest, destIsDir, chown, chmod, epoch: sh.req.epoch, tmpDir: sh.engine.store.paths.tmp, gitEnv, signal: sh.abort.signal }, targetView, dir);
          return { dir };
        } catch (e) {
          rmSync(dir, { recursive: true, force: true });
          throw e instanceof EngineError ? dockerfileError(ins, e.message) : e;
        }
      },
    };
  } catch (e) {
    release?.();
    throw e;
  }
}

async function workdirStep(sh: Shared, st: State, ins: Instruction, label: string, n: number, total: number): Promise<void> {
  await layerStep(sh, st, ins, label, n, total, async () => workdirWork(sh, st, ins));
}

function workdirWork(sh: Shared, st: State, ins: Instruction): LayerWork {
  const env = scope(st);
  const arg = word(ins, ins.args, env, sh.df.escape);
  const cur = st.config.config.WorkingDir || '/';
  const wd = posix.normalize(arg.startsWith('/') ? arg : posix.join(cur, arg));
  st.config.config.WorkingDir = wd;
  const v = new LayerView(stageDirs(sh, st));
  const exists = v.stat(wd)?.stat.isDirectory() ?? false;
  return {
    keyword: 'WORKDIR',
    instruction: `WORKDIR ${wd}`,
    createdBy: `WORKDIR ${wd}`,
    inputs: exists ? 'exists' : `mkdir:${st.config.config.User ?? ''}`,
    make: async () => {
      if (exists) return undefined;
      // BuildKit creates the directory as the current USER.
      let owner = { uid: 0, gid: 0 };
      const user = st.config.config.User;
      if (user) {
        try {
          owner = resolveChown(user, v);
        } catch {
          // an unknown user fails at RUN time, not here
        }
      }
      const dir = newLayerDir(sh.engine);
      try {
        await writeMkdir(v, dir, wd, owner, sh.req.epoch);
        return { dir };
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    },
  };
}

interface RunCommand {
  args: string[];
  display: string;
  /** a heredoc that starts with #!: written as /dev/pipes/<name> and run as a program */
  script?: { name: string; content: string };
}

function runCommand(st: State, ins: Instruction): RunCommand {
  const shell = st.config.config.Shell ?? DEFAULT_SHELL;
  if (ins.json) return { args: ins.json, display: goQuoteList(ins.json) };
  if (ins.heredocs.length && /^<<-?["']?[A-Za-z_][A-Za-z0-9_]*["']?\s*$/.test(ins.args)) {
    const h = ins.heredocs[0]!;
    if (h.content.startsWith('#!')) {
      // BuildKit: the body becomes an executable file, so its interpreter line is honoured.
      const path = `/dev/pipes/${h.name}`;
      return { args: [...shell, path], display: `${shell.join(' ')} ${path}`, script: { name: h.name, content: h.content } };
    }
    return { args: [...shell, h.content], display: `${shell.join(' ')} ${ins.args}` };
  }
  const text = ins.heredocs.length
    ? [ins.args, ...ins.heredocs.map((h) => `${h.content}${h.name}`)].join('\n')
    : ins.args;
  return { args: [...shell, text], display: `${shell.join(' ')} ${text}` };
}

async function runInstruction(sh: Shared, st: State, plan: StagePlan, ins: Instruction, label: string, n: number, total: number): Promise<void> {
  await layerStep(sh, st, ins, label, n, total, () => runWork(sh, st, plan, ins));
}

/** What a RUN --mount from= names: an earlier stage, an image, or scratch. */
async function mountSource(sh: Shared, st: State, plan: StagePlan, ins: Instruction, name: string): Promise<MountSource> {
  const ref = refOf(sh.df, name, plan.stage.index);
  if (ref.kind === 'stage') {
    const r = await getStage(sh, ref.index);
    return { lowers: snapshotDirs(sh.engine, { layers: r.layers }), key: r.key, what: `stage ${sh.df.stages[ref.index]!.name ?? ref.index}` };
  }
  if (ref.kind === 'scratch') return { lowers: [], key: 'scratch', what: 'scratch' };
  if (sh.df.stages.some((s) => s.name === name.toLowerCase())) {
    throw dockerfileError(ins, `cannot mount from stage "${name}", stage needs to be defined before current command`);
  }
  const img = await resolveImage(sh, ins, ref.ref, st.platform);
  await ensureSnapshots(sh.engine, img.layers);
  return { lowers: snapshotDirs(sh.engine, img), key: `image:${img.id}`, what: `image ${ref.ref}` };
}

async function runWork(sh: Shared, st: State, plan: StagePlan, ins: Instruction): Promise<LayerWork> {
  const scopeVars = scope(st);
  const esc = sh.df.escape;
  const netFlag = flag(ins, 'network');
  const network = netFlag === undefined || netFlag === 'default' ? (sh.req.network ?? 'host') : netFlag;
  if (network !== 'host' && network !== 'none') throw dockerfileError(ins, `unsupported network mode "${netFlag}": use default, none or host`);
  const security = flag(ins, 'security') ?? 'sandbox';
  if (security !== 'sandbox' && security !== 'insecure') throw dockerfileError(ins, `security "${security}" is not valid: use sandbox or insecure`);
  if (security === 'insecure' && !(sh.req.allow ?? []).includes('security.insecure')) {
    throw dockerfileError(ins, 'RUN --security=insecure needs the security.insecure entitlement: build with --allow security.insecure');
  }
  const cwd = st.config.config.WorkingDir || '/';
  let mountPlans: Awaited<ReturnType<typeof planMounts>>;
  try {
    const parsed = flags(ins, 'mount').map((v) => parseMount(v, (x) => word(ins, x, scopeVars, esc)));
    mountPlans = await planMounts(parsed, {
      engine: sh.engine,
      workdir: cwd,
      ctx: sh.ctx,
      hashes: sh.hashes,
      secrets: sh.req.secrets ?? {},
      ssh: sh.ssh,
      cacheNamespace: st.args.get('BUILDKIT_CACHE_MOUNT_NS') ?? sh.buildArgs.get('BUILDKIT_CACHE_MOUNT_NS'),
      resolveFrom: (name) => mountSource(sh, st, plan, ins, name),
      signal: sh.abort.signal,
    });
  } catch (e) {
    throw e instanceof DockerfileError ? e : dockerfileError(ins, errorMessage(e));
  }
  const cmd = runCommand(st, ins);
  const env = envMap(st.config);
  const buildEnv: string[] = [];
  for (const [k, v] of st.args) {
    if (!env.has(k)) buildEnv.push(`${k}=${v}`);
  }
  const fullEnv = [...(st.config.config.Env ?? []), ...buildEnv];
  if (!fullEnv.some((e) => e.startsWith('PATH='))) fullEnv.unshift(`PATH=${DEFAULT_PATH}`);
  const shownArgs = [...st.args].filter(([k]) => !PROXY_ARGS.includes(k));
  const prefix = shownArgs.length ? `|${shownArgs.length} ${shownArgs.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
  const net = network as 'host' | 'none';
  const flagsText = ins.flags.map((f) => (f.value === null ? `--${f.name}` : `--${f.name}=${f.value}`)).join(' ');
  return {
    keyword: 'RUN',
    instruction: `RUN ${flagsText ? `${flagsText} ` : ''}${ins.json ? cmd.display : ins.args}`,
    createdBy: `RUN ${prefix}${cmd.display} # buildkit`,
    // Mounts enter the key by what they are (and a bind's content digests), never by what a
    // cache holds or a secret says.
    inputs: sha256(JSON.stringify({ args: cmd.args, env: fullEnv, user: st.config.config.User ?? '', cwd, net, security, script: cmd.script, mounts: mountPlans.plans.map((p) => p.key) })),
    make: async (info) => {
      try {
        checkRunnable(st.platform);
      } catch (e) {
        throw dockerfileError(ins, errorMessage(e));
      }
      const upper = newLayerDir(sh.engine);
      const tail: string[] = [];
      const tmp = join(sh.engine.store.paths.tmp, liveTempName('run'));
      let opened: Awaited<ReturnType<typeof openMounts>> | undefined;
      try {
        try {
          mkdirSync(tmp, { mode: 0o700 });
        } catch (e) {
          throw new EngineError(ErrorCode.SYSTEM, `cannot make the step's temp dir in ${sh.engine.store.paths.tmp}: ${errnoCode(e) ?? errorMessage(e)} (check that the store's disk is writable and has space)`);
        }
        opened = await openMounts(mountPlans.plans, tmp);
        const stepMounts: StepMount[] = [...opened.mounts];
        if (cmd.script) {
          const pipes = join(tmp, 'pipes');
          mkdirSync(pipes);
          writeFileSync(join(pipes, cmd.script.name), cmd.script.content, { mode: 0o755 });
          stepMounts.push({ type: 'bind', source: pipes, destination: '/dev/pipes', readonly: true });
        }
        const stepEnv = [...fullEnv, ...opened.env];
        if (mountPlans.sshAuthSock && !stepEnv.some((e) => e.startsWith('SSH_AUTH_SOCK='))) stepEnv.push(`SSH_AUTH_SOCK=${mountPlans.sshAuthSock}`);
        const { runStep } = await import('./run.js');
        await runStep(sh.engine, {
          lowerDirs: stageDirs(sh, st),
          args: cmd.args,
          env: stepEnv,
          cwd,
          user: st.config.config.User ?? '',
          network: net,
          upperDir: upper,
          signal: sh.abort.signal,
          mounts: stepMounts,
          privileged: security === 'insecure',
          onOutput: (stream, text) => {
            for (const l of text.split('\n')) if (l) tail.push(l);
            if (tail.length > 20) tail.splice(0, tail.length - 20);
            sh.emit({ type: 'step.output', step: info, stream, text });
          },
        });
        return { dir: upper, upper: true };
      } catch (e) {
        rmSync(upper, { recursive: true, force: true });
        if (e instanceof BuildStepError) {
          throw new BuildStepError(`${ins.file}:${ins.line}: ${ins.text.split('\n')[0]}: ${e.message}`, info.name, e.outputTail.length ? e.outputTail : tail.slice(-10), e.runExitCode);
        }
        throw e instanceof DockerfileError || !(e instanceof EngineError) ? e : dockerfileError(ins, e.message);
      } finally {
        await opened?.release();
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/**
 * FROM / COPY --from / RUN --mount from= an image: the store first, then busybox from the
 * host, then a pull — for the stage's platform: a local image of another platform is pulled
 * again for this one, as BuildKit resolves every image for its stage's platform.
 */
async function resolveImage(sh: Shared, ins: Instruction, ref: string, platform: Platform) {
  const found = (() => {
    try {
      return sh.engine.images.find(ref);
    } catch (e) {
      throw dockerfileError(ins, errorMessage(e));
    }
  })();
  const platformOf = (img: ImageRecord) => {
    const c = sh.engine.images.config(img);
    return { os: c.os, architecture: c.architecture, variant: c.variant };
  };
  if (found && samePlatform(platformOf(found), platform)) return found;
  if (!found) {
    const { ensureSeedImage } = await import('../image/seed.js');
    const seeded = await ensureSeedImage(sh.engine, ref, (message) => sh.emit({ type: 'build.warning', message }));
    if (seeded && samePlatform(platformOf(seeded), platform)) return seeded;
  }
  const { pull } = await import('../registry/index.js');
  try {
    return (await pull(sh.engine, ref, { platform: formatPlatform(platform) }, (ev) => {
      if (ev.kind === 'status') sh.emit({ type: 'build.warning', message: ev.message });
    })).image;
  } catch (e) {
    if (found) {
      throw dockerfileError(ins, `image "${ref}" is ${formatPlatform(platformOf(found))} in the store and pulling it for ${formatPlatform(platform)} failed: ${errorMessage(e)} (build for ${formatPlatform(platformOf(found))} with --platform, or load a ${formatPlatform(platform)} image)`);
    }
    throw dockerfileError(ins, `image "${ref}" is not in the store and pulling it failed: ${errorMessage(e)} (load it with slipway load -i FILE, or check the name)`);
  }
}

function argStep(sh: Shared, st: State, ins: Instruction): void {
  const env = scope(st);
  const shown: string[] = [];
  for (const d of argDecls(ins, sh.df.escape)) {
    sh.usedArgs.add(d.name);
    const given = sh.buildArgs.get(d.name);
    let value: string | undefined;
    if (given !== undefined) value = given;
    else if (d.def !== undefined) value = word(ins, d.def, env, sh.df.escape);
    else value = sh.globals.get(d.name);
    if (value !== undefined) st.args.set(d.name, value);
    shown.push(d.def !== undefined || value !== undefined ? `${d.name}=${value ?? ''}` : d.name);
  }
  configStep(sh, st, `ARG ${shown.join(' ')}`);
}

/** FROM --platform (expanded with the global ARGs, so $BUILDPLATFORM works), else the build's target. */
function stagePlatform(sh: Shared, from: Instruction): Platform {
  const raw = flag(from, 'platform');
  if (raw === undefined) return sh.target;
  const v = word(from, raw, sh.globals, sh.df.escape);
  try {
    return parsePlatform(v);
  } catch (e) {
    throw dockerfileError(from, errorMessage(e));
  }
}

async function onbuildTriggers(sh: Shared, triggers: string[]): Promise<Instruction[]> {
  if (!triggers.length) return [];
  await loadParser();
  const df = parseDockerfile(`FROM scratch\n${triggers.join('\n')}\n`, `${sh.df.file} (ONBUILD trigger)`);
  return df.stages[0]!.instructions;
}

async function runStage(sh: Shared, index: number): Promise<StageRun> {
  const plan = sh.plans[index]!;
  const stage = plan.stage;
  const label = stage.name ?? `stage-${index}`;
  const total = plan.totalSteps;
  const { info, t0, rec } = startStep(sh, label, `[${label} 1/${total}] FROM ${plan.baseName}`, `FROM ${plan.baseName}`);
  let st: State;
  try {
    const platform = stagePlatform(sh, stage.from);
    if (plan.base.kind === 'stage') {
      const r = await getStage(sh, plan.base.index);
      st = { config: clone(r.config), layers: [...r.layers], key: r.key, rootImageId: r.rootImageId, platform: flag(stage.from, 'platform') !== undefined ? platform : r.platform, keys: [...r.keys], args: new Map(), cs: undefined as never };
    } else if (plan.base.kind === 'image') {
      const ref = plan.base.ref;
      const img = await trace('build: FROM (resolve the image, its snapshots)', async () => {
        const found = await resolveImage(sh, stage.from, ref, platform);
        await ensureSnapshots(sh.engine, found.layers);
        return found;
      });
      const cfg = sh.engine.images.config(img);
      st = { config: clone(cfg), layers: [...img.layers], key: `image:${img.id}`, rootImageId: img.id, platform, keys: [], args: new Map(), cs: undefined as never };
    } else {
      st = {
        // BuildKit's empty image: PATH is added below, WorkingDir is "/".
        config: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}), config: { WorkingDir: '/' }, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
        layers: [],
        key: samePlatform(platform, hostPlatform()) ? 'scratch' : `scratch:${formatPlatform(platform)}`,
        platform,
        keys: [],
        args: new Map(),
        cs: undefined as never,
      };
    }
  } catch (e) {
    rec.status = 'failed';
    if (!(e as { reported?: boolean }).reported) sh.emit({ type: 'step.error', step: info, message: errorMessage(e), tail: [] });
    throw reported(e);
  }
  rec.status = 'done';
  rec.ms = Math.round(now() - t0);
  sh.emit({ type: 'step.done', step: info, ms: rec.ms });
  const c = st.config;
  c.rootfs = { type: 'layers', diff_ids: [...(c.rootfs?.diff_ids ?? [])] };
  c.history = [...(c.history ?? [])];
  c.config ??= {};
  if (!(c.config.Env ?? []).some((e) => e.startsWith('PATH='))) setEnv(c, 'PATH', DEFAULT_PATH);
  const triggers = await onbuildTriggers(sh, c.config.OnBuild ?? []);
  delete c.config.OnBuild;
  st.cs = { config: c, cmdSet: false, escape: sh.df.escape };
  // Proxy variables given with --build-arg reach RUN without an ARG line (and stay out of history).
  for (const p of PROXY_ARGS) {
    const v = sh.buildArgs.get(p);
    if (v !== undefined) st.args.set(p, v);
  }
  try {
    await stageSteps(sh, st, plan, [...triggers, ...stage.instructions], label, total);
  } catch (e) {
    // What the stage made before the failure is cached, as when each step packed its own layer.
    await flushPending(st).catch(() => {});
    throw e; // layerStep has already turned a PreviousStepFailed back into its cause
  }
  return stageTail(st, { config: st.config, layers: st.layers, key: st.key, rootImageId: st.rootImageId, platform: st.platform, keys: st.keys });
}

async function stageSteps(sh: Shared, st: State, plan: StagePlan, instructions: Instruction[], label: string, total: number): Promise<void> {
  let n = 1;
  for (const ins of instructions) {
    if (sh.abort.signal.aborted) throw new EngineError(ErrorCode.CANCELLED, 'build cancelled');
    switch (ins.keyword) {
      case 'ARG':
        argStep(sh, st, ins);
        break;
      case 'WORKDIR':
        await workdirStep(sh, st, ins, label, ++n, total);
        break;
      case 'COPY':
      case 'ADD':
        await copyStep(sh, st, plan, ins, label, ++n, total);
        break;
      case 'RUN':
        await runInstruction(sh, st, plan, ins, label, ++n, total);
        break;
      default:
        configStep(sh, st, applyConfigInstruction(st.cs, ins, scope(st)), ins.keyword !== 'ONBUILD');
    }
  }
}

/** `# syntax=` and `# check=` are accepted; say what they do (and do not do) here. */
function directiveNotes(df: ParsedDockerfile): string[] {
  const notes: string[] = [];
  if (df.syntax && !/^(docker\.io\/)?docker\/dockerfile(-upstream)?(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/.test(df.syntax)) {
    notes.push(`# syntax=${df.syntax}: slipway builds with its own Dockerfile frontend (BuildKit's Dockerfile syntax); the named frontend image is not run`);
  }
  if (df.check !== undefined) notes.push(`# check=${df.check}: slipway runs no build checks, so this directive changes nothing`);
  return notes;
}

/** --cache-from sources; one that cannot be read is a warning, as in BuildKit (the build goes on cold). */
async function cacheSources(engine: Engine, from: CacheFrom[], warn: (m: string) => void): Promise<CacheSource[]> {
  const out: CacheSource[] = [];
  for (const f of from) {
    try {
      if (f.type === 'local') {
        out.push(readLocalCache(f.src, f.tag));
        continue;
      }
      let img = engine.images.find(f.ref);
      if (!img) {
        const { ensureImage } = await import('../registry/index.js');
        img = await ensureImage(engine, f.ref);
      }
      out.push(readInlineCache(engine, engine.images.config(img), img.layers, `image ${f.ref}`));
    } catch (e) {
      warn(`cache import from ${f.type === 'local' ? f.src : f.ref} failed: ${errorMessage(e)}`);
    }
  }
  return out;
}

function readDockerfile(req: BuildRequest): { text: string; file: string; path?: string } {
  if (req.dockerfileText !== undefined) return { text: req.dockerfileText, file: 'Dockerfile' };
  const path = req.dockerfile ? resolve(req.dockerfile) : req.context ? join(resolve(req.context), 'Dockerfile') : undefined;
  if (!path) throw new EngineError(ErrorCode.INVALID, 'no Dockerfile: pass -f FILE, or a context directory that holds a Dockerfile');
  if (!existsSync(path)) {
    throw new NotFoundError(`cannot read the Dockerfile: ${path} does not exist${req.dockerfile ? '' : ' (use -f to name another file)'}`);
  }
  const rel = req.context ? relative(resolve(req.context), path) : basename(path);
  return { text: readFileSync(path, 'utf8'), file: rel.startsWith('..') ? path : rel, path };
}

/**
 * Build an image from a Dockerfile. Progress arrives through `onEvent`; the result names the
 * image. On failure nothing is added: no image, no tag, no half-written layer.
 */
export async function build(engine: Engine, req: BuildRequest, onEvent: (e: BuildEvent) => void = () => {}): Promise<BuildResult> {
  const t0 = now();
  for (const t of req.tags ?? []) normalizeTagged(t); // a bad -t fails before any work
  const buildId = newId();
  const db = engine.store.db;
  if (req.context) BuildContext.open(req.context); // a missing context is reported before a missing Dockerfile
  const { text, file, path } = readDockerfile(req);
  const ctx = req.context ? BuildContext.open(req.context, path) : BuildContext.empty();
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(req.buildArgs ?? {})) {
    const val = v ?? process.env[k];
    if (val !== undefined) buildArgs.set(k, val);
  }
  const steps: StepRecord[] = [];
  buildsTable.start(db, { id: buildId, dockerfile: path ?? '-', context: ctx.dir ?? '-', args: Object.fromEntries(buildArgs), target: req.target ?? null, started: Date.now() });
  const finish = (status: 'succeeded' | 'failed', imageId: string | null, error: string | null) => {
    buildsTable.finish(db, buildId, { status, imageId, error, steps, durationMs: Math.round(now() - t0) });
  };
  const ssh = new SshAgents(req.ssh ?? {}, engine.store.paths.tmp);
  try {
    const df = await trace('build: the Dockerfile (parse cache or parser)', () => parseDockerfileCached(db, text, file));
    for (const message of directiveNotes(df)) onEvent({ type: 'build.warning', message });
    const target = req.platform ? parsePlatform(req.platform) : hostPlatform();
    const globals = globalArgValues(df, buildArgs, target);
    const { plans, needed } = planStages(df, globals, req.target);
    const cache = new BuildCache(db);
    const warn = (message: string) => onEvent({ type: 'build.warning', message });
    const sh: Shared = {
      engine, df, req, ctx,
      cache,
      imported: new ImportedCache(engine, cache, await cacheSources(engine, req.cacheFrom ?? [], warn), warn),
      hashes: new FileHashCache(db),
      buildArgs,
      usedArgs: new Set(df.globalArgs.flatMap((i) => argDecls(i, df.escape).map((d) => d.name))),
      globals,
      plans,
      runs: new Map(),
      emit: onEvent,
      steps,
      abort: new AbortController(),
      vertex: 0,
      ssh,
      target,
      inflight: new Map(),
    };
    // a cancel can come before the build got here (while the context was read): an abort
    // listener added now would never fire for it
    if (req.signal?.aborted) sh.abort.abort();
    else req.signal?.addEventListener('abort', () => sh.abort.abort(), { once: true });
    if (ctx.dir) sh.hashes.preloadLater(ctx.dir);
    onEvent({ type: 'build.start', buildId, dockerfile: path ?? '-', context: ctx.dir ?? '-', stages: needed.length });
    // Every needed stage starts at once; a stage waits only for what it reads.
    const settled = await Promise.allSettled(needed.map((i) => getStage(sh, i)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      sh.abort.abort();
      throw failed.reason;
    }
    if (!req.temporaryContext) sh.hashes.flush();
    const finalIndex = needed[needed.length - 1]!;
    const result = await getStage(sh, finalIndex);
    const cfg = result.config;
    if (req.labels && Object.keys(req.labels).length) cfg.config.Labels = { ...(cfg.config.Labels ?? {}), ...req.labels };
    const hist = cfg.history ?? [];
    const image: ImageConfig = {
      created: hist[hist.length - 1]?.created ?? nowIso(sh),
      ...(cfg.author ? { author: cfg.author } : {}),
      architecture: cfg.architecture,
      os: cfg.os,
      ...(cfg.variant ? { variant: cfg.variant } : {}),
      config: cfg.config,
      rootfs: { type: 'layers', diff_ids: result.layers.map((l) => l.diffId) },
      history: hist,
    };
    // --cache-to: min = the steps behind the final image's layers, max = every stage's steps
    const cacheRows = async (mode: 'min' | 'max') => {
      const keys = mode === 'min' ? result.keys : [...new Set((await Promise.all(sh.runs.values())).flatMap((r) => r.result.keys))];
      return keys.map((k) => cache.get(k)).filter((r): r is NonNullable<typeof r> => !!r).map(portable);
    };
    if (req.cacheTo?.some((c) => c.type === 'inline')) image[INLINE_KEY] = inlineCacheValue(await cacheRows('min'), image.rootfs.diff_ids);
    const outputs = req.outputs?.length ? req.outputs : [{ type: 'image' as const }];
    // the last moment a cancel can stop the build from making its image and tags
    if (sh.abort.signal.aborted) throw new EngineError(ErrorCode.CANCELLED, 'build cancelled');
    const id = sha256(JSON.stringify(image));
    let img: ImageRecord | undefined;
    if (outputs.some((o) => o.type === 'image')) {
      // A fully cached rebuild makes the very same config: if the image and its tags are already
      // there, adding it again would only rewrite index.json.
      const existing = engine.images.get(id);
      const tagsDone = existing && (req.tags ?? []).every((t) => engine.images.find(t)?.id === id);
      img = tagsDone ? existing : engine.images.add({
        config: image,
        layers: result.layers,
        tags: req.tags ?? [],
        lineage: {
          kind: 'build',
          parentImageId: result.rootImageId ?? null,
          buildId,
          detail: { dockerfile: path ?? '-', context: ctx.dir ?? '-', target: req.target ?? null, buildArgs: Object.fromEntries(buildArgs) },
        },
      });
    }
    for (const o of outputs) {
      if (o.type === 'image') continue;
      const { exportOutput } = await import('./outputs.js');
      await exportOutput(o, snapshotDirs(engine, { layers: result.layers }).reverse());
    }
    for (const c of req.cacheTo ?? []) {
      if (c.type === 'local') writeLocalCache(engine, await cacheRows(c.mode), c.dest, c.tag);
    }
    const unused = [...buildArgs.keys()].filter((k) => !sh.usedArgs.has(k) && !PROXY_ARGS.includes(k));
    if (unused.length) onEvent({ type: 'build.warning', message: `one or more build-args [${unused.join(' ')}] were not consumed` });
    finish('succeeded', img?.id ?? null, null);
    const ms = Math.round(now() - t0);
    const tags = img?.tags ?? [];
    onEvent({ type: 'build.done', buildId, imageId: id, tags, ms });
    engine.store.emit('build', 'build', buildId, { image: id });
    const descriptor = img && { mediaType: engine.images.manifest(img).mediaType ?? 'application/vnd.oci.image.manifest.v1+json', digest: img.manifestDigest, size: statSync(engine.store.blobs.path(img.manifestDigest)).size };
    return { buildId, imageId: id, stored: !!img, ...(descriptor ? { descriptor } : {}), tags, steps, ms };
  } catch (e) {
    finish('failed', null, errorMessage(e));
    onEvent({ type: 'build.error', buildId, message: errorMessage(e) });
    throw e;
  } finally {
    ssh.close();
  }
}

export { pruneBuildCache } from './cache-usage.js';
