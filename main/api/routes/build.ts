import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { applyLayer, BuildStepError, familiarName, hostArch, isRootless, runOp } from '../../engine/index.js';
import { apiChildEntry, apiChildOps } from '../child-ops.js';
import { boolQuery, stringQuery, type ApiContext } from '../context.js';
import { badRequest, messageOf, notImplemented } from '../errors.js';
import type { Route } from '../router.js';
import { JsonLines } from '../streams/json-lines.js';

function jsonMap(ctx: ApiContext, key: string): Record<string, string | null> {
  const v = stringQuery(ctx, key);
  if (!v) return {};
  try {
    const m = JSON.parse(v) as unknown;
    if (m && typeof m === 'object' && !Array.isArray(m)) return m as Record<string, string | null>;
  } catch {
    /* reported below */
  }
  throw badRequest(`invalid ${key}: expected a JSON object of strings`);
}

/** The Dockerfile named by the request, which must be inside the context (symlinks resolved). */
function contextFile(dir: string, name: string): string {
  const p = join(dir, name);
  if (!existsSync(p)) throw badRequest(`Cannot locate specified Dockerfile: ${name}`);
  const real = realpathSync(p);
  const rel = relative(realpathSync(dir), real);
  if (rel.startsWith('..') || isAbsolute(rel)) throw badRequest(`the Dockerfile ${name} is outside the build context`);
  return real;
}

/**
 * POST /build: the context is a tar on the body (unpacked with the same checks as a layer: no
 * `..`, no absolute names, no symlinked parents), built by Slipway's builder, reported in the
 * classic builder's JSON lines ({"stream"}, {"aux":{"ID"}}, "Successfully built/tagged"), which
 * docker's CLI, docker-compose and the SDKs read. The build runs in a child process
 * (api/child-ops.ts); a client that goes away cancels it there.
 */
async function postBuild(ctx: ApiContext): Promise<void> {
  if (stringQuery(ctx, 'remote')) throw notImplemented('building from a remote context (remote=)');
  const platform = stringQuery(ctx, 'platform');
  if (platform && !new RegExp(`^linux/${hostArch()}(/|$)`).test(platform)) throw badRequest(`platform ${platform} is not supported here: this machine builds linux/${hostArch()}`);
  const networkmode = stringQuery(ctx, 'networkmode') ?? 'default';
  if (!['default', 'host', 'none', 'bridge'].includes(networkmode)) throw badRequest(`networkmode ${networkmode} is not supported: use default, host or none`);
  const tags = ctx.query.getAll('t').filter(Boolean);
  const quiet = boolQuery(ctx, 'q');
  const buildArgs = Object.fromEntries(Object.entries(jsonMap(ctx, 'buildargs')).filter(([, v]) => v !== null)) as Record<string, string>;
  const labels = jsonMap(ctx, 'labels') as Record<string, string>;
  const engine = ctx.services.engine;
  const dir = mkdtempSync(join(engine.store.paths.tmp, 'build-context-'));
  try {
    try {
      await applyLayer(ctx.body, dir, { mode: 'flatten', rootless: isRootless() });
    } catch (e) {
      throw badRequest(`the build context is not a valid tar archive: ${messageOf(e)}`);
    }
    const dockerfile = contextFile(dir, stringQuery(ctx, 'dockerfile') ?? 'Dockerfile');
    const out = new JsonLines(ctx.reply.stream(200, 'application/json'));
    const say = (text: string) => {
      if (!quiet) void out.send({ stream: text });
    };
    try {
      // in a child process: what a build grows goes back to the system when it ends
      const r = await runOp(
        engine,
        apiChildOps,
        'apiBuild',
        {
          context: dir,
          dockerfile,
          tags,
          buildArgs,
          labels,
          target: stringQuery(ctx, 'target'),
          noCache: boolQuery(ctx, 'nocache'),
          network: networkmode === 'none' ? 'none' : 'host',
        },
        { signal: ctx.signal, progress: say },
        apiChildEntry,
      );
      void out.send({ aux: { ID: r.imageId } });
      if (quiet) void out.send({ stream: `${r.imageId}\n` });
      say(`Successfully built ${r.imageId.replace(/^sha256:/, '').slice(0, 12)}\n`);
      for (const t of r.tags) say(`Successfully tagged ${familiarName(t)}\n`);
    } catch (e) {
      const code = e instanceof BuildStepError ? e.runExitCode : undefined;
      void out.send({ errorDetail: { ...(code !== undefined ? { code } : {}), message: messageOf(e) }, error: messageOf(e) });
    }
    await out.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const buildRoutes: Route[] = [
  { method: 'POST', path: '/build', handler: postBuild },
  { method: 'POST', path: '/build/prune', handler: () => Promise.reject(notImplemented('build cache prune (POST /build/prune)')) },
];
