import { readFileSync, writeFileSync } from 'node:fs';
import { build as runBuild, BuildStepError, Engine, InvalidArgumentError, pruneBuildCache, referenceProblem, type BuildRequest } from '../../engine/index.js';
import { FlagError } from '../exit-codes.js';
import { plainRenderer, ttyRenderer, type Renderer } from './build-progress.js';
import { out } from '../output.js';

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
  };
  if (context === '-') {
    if (o.file && o.file !== '-') throw new InvalidArgumentError('with CONTEXT "-" the Dockerfile comes from STDIN: drop -f');
    req.dockerfileText = readFileSync(0, 'utf8');
  } else {
    req.context = context;
    if (o.file === '-') req.dockerfileText = readFileSync(0, 'utf8');
    else if (o.file) req.dockerfile = o.file;
  }
  const mode = o.progress === 'auto' ? (process.stderr.isTTY ? 'tty' : 'plain') : o.progress;
  const renderer: Renderer | undefined = o.quiet ? undefined : mode === 'tty' ? ttyRenderer(process.stderr) : plainRenderer(process.stderr);
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

export async function prune(_o: { all?: boolean; force?: boolean }): Promise<void> {
  const engine = new Engine();
  try {
    const r = await pruneBuildCache(engine);
    out(`Deleted build cache: ${r.steps} steps, ${r.layers} layers no image uses`);
  } finally {
    engine.close();
  }
}
