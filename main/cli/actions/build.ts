import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build as runBuild, buildCacheRecords, BuildStepError, Engine, humanAgo, humanSize, InvalidArgumentError, pruneBuildCacheRecords, referenceProblem, normalizeTagged, parseCacheFrom, parseCacheTo, type BuildCacheRecord, type BuildRequest, type BuildResult } from '../../engine/index.js';
import { tabwriter } from '../format.js';
import { confirm } from './images.js';
import { withEngine } from './with-engine.js';
import { FlagError } from '../exit-codes.js';
import { plainRenderer, ttyRenderer, type Renderer } from './build-progress.js';
import { out } from '../output.js';
import { stdout, writeOut } from '../stdout.js';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  target?: string;
  cache: boolean;
  label: string[];
  network?: string;
  progress: string;
  quiet?: boolean;
  iidfile?: string;
  secret: string[];
  ssh: string[];
  allow: string[];
  platform?: string;
  output: string[];
  metadataFile?: string;
  cacheFrom: string[];
  cacheTo: string[];
}

/** `-o DIR`, `-o -`, `--output type=local,dest=DIR|type=tar,dest=FILE|type=image` (buildx's forms). */
export function parseOutputs(list: string[]): NonNullable<BuildRequest['outputs']> {
  if (list.length > 1) throw new InvalidArgumentError('multiple outputs are not supported: give one --output');
  return list.map((spec) => {
    if (!spec.includes('=')) return spec === '-' ? { type: 'tar' as const, stream: stdout() } : { type: 'local' as const, dest: resolve(spec) };
    const f: Record<string, string> = {};
    for (const field of spec.split(',')) {
      const i = field.indexOf('=');
      if (i < 0) throw new InvalidArgumentError(`invalid --output field "${field}": use key=value`);
      f[field.slice(0, i)] = field.slice(i + 1);
    }
    const type = f.type ?? 'local';
    if (type === 'image' || type === 'docker') return { type: 'image' as const };
    if (type !== 'local' && type !== 'tar') throw new InvalidArgumentError(`output type "${type}" is not supported: use local, tar or image`);
    const dest = f.dest ?? f.output;
    if (!dest) throw new InvalidArgumentError(`--output type=${type} needs dest=${type === 'local' ? 'DIR' : 'FILE'}`);
    if (type === 'tar') return dest === '-' ? { type: 'tar' as const, stream: stdout() } : { type: 'tar' as const, dest: resolve(dest) };
    return { type: 'local' as const, dest: resolve(dest) };
  });
}

/**
 * `--secret id=X[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it; `id=X` alone means
 * the environment variable X when it is set, else the file X.
 */
export function parseSecrets(list: string[]): NonNullable<BuildRequest['secrets']> {
  const outMap: NonNullable<BuildRequest['secrets']> = {};
  for (const spec of list) {
    let id = '';
    let file: string | undefined;
    let env: string | undefined;
    let type: string | undefined;
    for (const field of spec.split(',')) {
      const i = field.indexOf('=');
      const k = i < 0 ? field : field.slice(0, i);
      const v = i < 0 ? '' : field.slice(i + 1);
      if (k === 'id') id = v;
      else if (k === 'src' || k === 'source') file = v;
      else if (k === 'env') env = v;
      else if (k === 'type') {
        if (v !== 'file' && v !== 'env') throw new InvalidArgumentError(`unsupported secret type "${v}": use file or env`);
        type = v;
      } else throw new InvalidArgumentError(`unexpected key '${k}' in '${field}' (--secret takes id, src, env and type)`);
    }
    if (type === 'env' && env === undefined) [env, file] = [file, undefined];
    if (!id) id = file ? file.split('/').pop()! : (env ?? '');
    if (!id) throw new InvalidArgumentError(`invalid --secret "${spec}": use id=NAME,src=FILE or id=NAME,env=VAR`);
    if (file === undefined && env === undefined) {
      if (process.env[id] !== undefined && type !== 'file') env = id;
      else file = id;
    }
    outMap[id] = env !== undefined ? { env } : { file: resolve(file!) };
  }
  return outMap;
}

/** `--ssh default|ID[=SOCKET|KEY[,KEY]]`; `default` alone is $SSH_AUTH_SOCK. */
export function parseSsh(list: string[]): NonNullable<BuildRequest['ssh']> {
  const outMap: NonNullable<BuildRequest['ssh']> = {};
  for (const spec of list) {
    const i = spec.indexOf('=');
    const id = i < 0 ? spec : spec.slice(0, i);
    let paths = i < 0 ? [] : spec.slice(i + 1).split(',').filter(Boolean);
    if (!id) throw new InvalidArgumentError(`invalid --ssh "${spec}": use default or ID=SOCKET`);
    if (paths.length === 0) {
      const sock = process.env.SSH_AUTH_SOCK;
      if (!sock) throw new InvalidArgumentError('invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set');
      paths = [sock];
    }
    outMap[id] = paths.map((p) => resolve(p));
  }
  return outMap;
}

const ENTITLEMENTS = ['security.insecure', 'network.host'];

function platformFlag(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((p) => p.trim()).filter(Boolean);
  if (list.length > 1) throw new InvalidArgumentError(`--platform ${v}: slipway builds one platform at a time (there is no multi-platform image output); run one build per platform`);
  return list[0];
}

function keyValues(list: string[], what: string, allowBare: boolean): Record<string, string | undefined> {
  const outMap: Record<string, string | undefined> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i === 0 || (i < 0 && !allowBare)) throw new InvalidArgumentError(`invalid ${what} "${kv}": use KEY=VALUE`);
    if (i < 0) outMap[kv] = undefined;
    else outMap[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return outMap;
}

function epochFromEnv(): number | undefined {
  const v = process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`SOURCE_DATE_EPOCH="${v}" is not a number of seconds`);
  return Number(v);
}

export async function build(context: string, o: BuildFlags): Promise<void> {
  if (o.network !== undefined && o.network !== 'host' && o.network !== 'none') {
    throw new InvalidArgumentError(`--network ${o.network} is not supported for builds: use host or none (container networks come with the networking work)`);
  }
  for (const t of o.tag ?? []) {
    const problem = referenceProblem(t, false);
    if (problem) throw new FlagError(`invalid argument "${t}" for "-t, --tag" flag: ${problem}`);
  }
  if (!['auto', 'plain', 'tty'].includes(o.progress)) throw new InvalidArgumentError(`--progress ${o.progress}: use auto, plain or tty`);
  const req: BuildRequest = {
    tags: o.tag,
    buildArgs: keyValues(o.buildArg, '--build-arg', true),
    target: o.target,
    noCache: !o.cache,
    labels: keyValues(o.label, '--label', false) as Record<string, string>,
    network: o.network as 'host' | 'none' | undefined,
    epoch: epochFromEnv(),
    secrets: parseSecrets(o.secret ?? []),
    outputs: parseOutputs(o.output ?? []),
    cacheFrom: (o.cacheFrom ?? []).map((c) => {
      const f = parseCacheFrom(c);
      return f.type === 'local' ? { ...f, src: resolve(f.src) } : f;
    }),
    cacheTo: (o.cacheTo ?? []).map((c) => {
      const t = parseCacheTo(c);
      return t.type === 'local' ? { ...t, dest: resolve(t.dest) } : t;
    }),
    platform: platformFlag(o.platform),
    ssh: parseSsh(o.ssh ?? []),
    allow: (o.allow ?? []).flatMap((a) => a.split(',')).map((a) => {
      if (!ENTITLEMENTS.includes(a)) throw new InvalidArgumentError(`invalid entitlement: ${a} (use ${ENTITLEMENTS.join(' or ')})`);
      return a;
    }),
  };
  if (context === '-') {
    if (o.file && o.file !== '-') throw new InvalidArgumentError('with CONTEXT "-" the Dockerfile comes from STDIN: drop -f');
    req.dockerfileText = readFileSync(0, 'utf8');
  } else {
    req.context = context;
    if (o.file === '-') req.dockerfileText = readFileSync(0, 'utf8');
    else if (o.file) req.dockerfile = o.file;
  }
  if (o.quiet && req.outputs?.some((x) => x.type === 'tar' && x.stream)) throw new InvalidArgumentError('-q prints the image ID on stdout, where -o - writes the tar: drop one of them');
  // -q never touches process.stderr: making that stream loads tty or net (~2 ms of a cached rebuild)
  const mode = o.quiet ? undefined : o.progress === 'auto' ? (process.stderr.isTTY ? 'tty' : 'plain') : o.progress;
  const renderer: Renderer | undefined = mode === undefined ? undefined : mode === 'tty' ? ttyRenderer(process.stderr) : plainRenderer(process.stderr);
  const engine = new Engine();
  // Ctrl-C stops the running step and lets the build clean up (unmount, temp dirs) before exit.
  const ac = new AbortController();
  req.signal = ac.signal;
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  try {
    const result = await runBuild(engine, req, (e) => renderer?.event(e));
    renderer?.close();
    if (o.iidfile) writeFileSync(o.iidfile, result.imageId);
    if (o.metadataFile) writeFileSync(o.metadataFile, `${JSON.stringify(buildMetadata(result, req.tags ?? []), null, 2)}\n`);
    if (o.quiet) out(result.imageId);
  } catch (e) {
    renderer?.close();
    if (e instanceof BuildStepError && o.quiet && e.outputTail.length) {
      process.stderr.write(`${e.outputTail.map((l) => `  ${l}`).join('\n')}\n`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
    engine.close();
  }
}

/** BuildKit's --metadata-file keys (containerimage.* only when an image was made). */
function buildMetadata(r: BuildResult, tags: string[]): Record<string, unknown> {
  const m: Record<string, unknown> = { 'buildx.build.ref': `slipway/${r.buildId}` };
  if (r.stored && r.descriptor) {
    m['containerimage.config.digest'] = r.imageId;
    m['containerimage.descriptor'] = r.descriptor;
    m['containerimage.digest'] = r.descriptor.digest;
    if (tags.length) m['image.name'] = tags.map((t) => normalizeTagged(t)).join(',');
  }
  return m;
}

const recordId = (r: BuildCacheRecord) => `${r.id}${r.type === 'exec.cachemount' ? '*' : ''}`;

/** `builder prune`: BuildKit's records; docker's prompt and "Total reclaimed space". */
export async function prune(o: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  if (!o.force) {
    const what = o.all ? 'all build cache' : 'all dangling build cache';
    if (!(await confirm(`WARNING! This will remove ${what}. Are you sure you want to continue?`))) return;
  }
  await withEngine(async (engine) => {
    const r = await pruneBuildCacheRecords(engine, { all: o.all, filters: o.filter ?? [] });
    if (r.removed.length) {
      out('Deleted build cache objects:');
      for (const rec of r.removed) out(rec.id);
      out('');
    }
    out(`Total reclaimed space: ${humanSize(r.reclaimed, 4)}`);
  });
}

/** `builder du` (buildx du's table and totals; --verbose prints each record in full). */
export async function du(o: { filter?: string[]; verbose?: boolean }): Promise<void> {
  await withEngine(async (engine) => {
    let records = await buildCacheRecords(engine);
    for (const f of o.filter ?? []) {
      const i = f.indexOf('=');
      const k = i < 0 ? f : f.slice(0, i);
      const v = i < 0 ? '' : f.slice(i + 1);
      if (k === 'type') records = records.filter((r) => r.type === v);
      else if (k === 'id') records = records.filter((r) => r.id.startsWith(v));
      else throw new InvalidArgumentError(`invalid filter '${k}': builder du accepts type and id`);
    }
    const size = (n: number) => humanSize(n, 4);
    if (o.verbose) {
      for (const r of records) {
        out(`ID:\t\t${r.id}`);
        out(`Created at:\t${new Date(r.createdAt).toISOString()}`);
        out(`Mutable:\t${r.type === 'exec.cachemount'}`);
        out(`Reclaimable:\t${r.reclaimable}`);
        out(`Shared:\t\t${r.shared}`);
        out(`Size:\t\t${size(r.size)}`);
        out(`Description:\t${r.description}`);
        out(`Usage count:\t${r.usageCount}`);
        out(`Last used:\t${humanAgo(r.lastUsedAt)}`);
        out(`Type:\t\t${r.type}`);
        out('');
      }
    } else {
      const rows = ['ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED'];
      for (const r of records) rows.push(`${recordId(r)}\t${r.reclaimable}\t${size(r.size)}${r.shared ? '*' : ''}\t${humanAgo(r.lastUsedAt)}`);
      writeOut(tabwriter(rows));
    }
    const shared = records.filter((r) => r.shared).reduce((n, r) => n + r.size, 0);
    const priv = records.filter((r) => !r.shared).reduce((n, r) => n + r.size, 0);
    const reclaimable = records.filter((r) => r.reclaimable).reduce((n, r) => n + r.size, 0);
    const rows = [];
    if (shared) rows.push(`Shared:\t${size(shared)}`, `Private:\t${size(priv)}`);
    rows.push(`Reclaimable:\t${size(reclaimable)}`, `Total:\t${size(shared + priv)}`);
    writeOut(tabwriter(rows));
  });
}
