import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { liveTempName } from '../util/ids.js';
import type { Engine } from '../engine.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { mountView, overlayDriver } from './view-mount.js';
import type { LayerMount } from '../mount/driver.js';
import { buildSpec } from '../runtime/spec.js';
import { resolveSandbox } from '../runtime/sandbox.js';
import { resolveUser } from '../runtime/user.js';
import { mkdirScoped } from '../runtime/rootfs-path.js';
import { writeNetworkEtcFiles } from '../network/etc-files.js';
import { runc, runcPath, runcGlobalArgs, classifyStartError, startFailureExitCode } from '../runtime/runc.js';
import { LayerView } from './fsview.js';
import { BuildStepError } from './errors.js';
import { isRootless } from '../rootless/detect.js';
import { cgroupsPathFor } from '../rootless/cgroups.js';

/**
 * RUN: one container per step through the engine's runtime path (the overlay mount drivers
 * and the OCI spec generator `slipway run` uses), runc in the foreground with its output
 * streamed to progress. The step's overlay upper dir is made where the caller wants the
 * snapshot, so after the run it is committed and renamed, never copied.
 */
/** A mount a RUN step adds to the sandbox (RUN --mount, a heredoc script). */
export type StepMount =
  | { type: 'bind'; source: string; destination: string; readonly: boolean }
  /** the merged view of layer dirs (a stage, an image), writes discarded after the step */
  | { type: 'layers'; lowers: string[]; subpath: string; destination: string; readonly: boolean; what: string }
  | { type: 'tmpfs'; destination: string; size?: number };

export interface RunStepOptions {
  /** snapshot dirs of the state, bottom first */
  lowerDirs: string[];
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  network: 'host' | 'none';
  /** the (empty) dir to use as the overlay upper; it becomes the layer */
  upperDir: string;
  onOutput: (stream: 'stdout' | 'stderr', text: string) => void;
  signal?: AbortSignal;
  /** after the default mounts, in order */
  mounts?: StepMount[];
  /** RUN --security=insecure: docker's --privileged */
  privileged?: boolean;
}

/** Mount points runc makes in the rootfs; if a RUN left them empty and new, they are not content. */
const MOUNT_POINTS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys', '/dev'];

/**
 * The paths runc will create as mount points (each target and its missing parents), as
 * BuildKit's MountStubsCleaner records them: those still empty after the step are removed, so
 * a mount never leaves its mount point in the layer.
 */
function mountStubs(lowers: string[], targets: string[]): string[] {
  const below = new LayerView(lowers);
  const out: string[] = [];
  for (const t of targets) {
    for (let p = posix.normalize(t); p !== '/' && !below.stat(p, false); p = posix.dirname(p)) {
      if (!out.includes(p)) out.push(p);
    }
  }
  return out;
}

function dropStubs(upper: string, stubs: string[]): void {
  for (const p of stubs) {
    const h = join(upper, p);
    let st;
    try {
      st = lstatSync(h);
    } catch {
      continue;
    }
    if (st.isDirectory() ? readdirSync(h).length !== 0 : st.size !== 0) continue;
    // Keep the parent's times: its entry changing is not content (buildkit#3148).
    const parent = dirname(h);
    const pst = lstatSync(parent);
    if (st.isDirectory()) rmdirSync(h);
    else rmSync(h, { force: true });
    utimesSync(parent, pst.atime, pst.mtime);
  }
}

export async function runStep(engine: Engine, o: RunStepOptions): Promise<void> {
  const driver = await overlayDriver(engine);
  // pid in the name: `system check` leaves a live build's mounted dir alone.
  const id = liveTempName('build');
  const dir = join(engine.store.paths.tmp, id);
  const m: LayerMount = { lowers: o.lowerDirs.length ? o.lowerDirs : [join(dir, 'empty')], upper: o.upperDir, work: join(dir, 'work'), target: join(dir, 'rootfs'), linkDir: join(dir, 'l') };
  for (const p of [dir, m.work, m.target, m.linkDir, ...(o.lowerDirs.length ? [] : [m.lowers[0]!])]) mkdirSync(p, { recursive: true });
  const stateRoot = engine.store.paths.runtimeState;
  mkdirSync(stateRoot, { recursive: true });
  let mounted = false;
  const extra = o.mounts ?? [];
  const stubs = mountStubs(o.lowerDirs, [...MOUNT_POINTS, ...extra.map((x) => x.destination)]);
  // Layer-backed mounts (a stage, an image) are overlays made here, with a throwaway upper.
  const views: { unmount: () => Promise<void> }[] = [];
  try {
    if (o.signal?.aborted) throw new EngineError(ErrorCode.CANCELLED, 'build cancelled');
    await driver.mount(m);
    mounted = true;
    const user = resolveUser(m.target, o.user || undefined);
    if (o.cwd !== '/') mkdirScoped(m.target, o.cwd);
    // the same /etc files a container with this network mode gets
    const etc = writeNetworkEtcFiles(dir, { hostname: 'buildkitsandbox', mode: o.network });
    const spec = buildSpec({ rootfs: m.target, args: o.args, env: o.env, cwd: o.cwd, user, hostname: 'buildkitsandbox', tty: false, network: o.network, etcFiles: etc, cgroupsPath: cgroupsPathFor(id, isRootless()),
      // docker's --privileged, as BuildKit's insecure mode is
      sandbox: o.privileged ? resolveSandbox({ Privileged: true }, { hostNet: o.network === 'host' }) : undefined });
    const specMounts = spec.mounts as Record<string, unknown>[];
    for (const [i, x] of extra.entries()) {
      if (x.type === 'tmpfs') {
        specMounts.push({ destination: x.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...(x.size ? [`size=${x.size}`] : [])] });
        continue;
      }
      let source = x.type === 'bind' ? x.source : '';
      if (x.type === 'layers') {
        const v = await mountView(engine, x.lowers, join(dir, `m${i}`), driver);
        views.push(v);
        source = join(v.path, x.subpath);
        if (!existsSync(source)) throw new EngineError(ErrorCode.NOT_FOUND, `mount source "${x.subpath}" not found in ${x.what}`);
      }
      specMounts.push({ destination: x.destination, type: 'bind', source, options: ['rbind', 'rprivate', ...(x.readonly ? ['ro'] : [])] });
    }
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    const { code, stderrTail } = await new Promise<{ code: number; stderrTail: string }>((resolve, reject) => {
      const p = spawn(runcPath(), [...runcGlobalArgs(stateRoot), 'run', '--bundle', dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let errText = '';
      p.stdout.on('data', (d: Buffer) => o.onOutput('stdout', d.toString()));
      p.stderr.on('data', (d: Buffer) => {
        const s = d.toString();
        errText = (errText + s).slice(-4000);
        o.onOutput('stderr', s);
      });
      // runc may not have created the container yet: keep killing until it is gone.
      let killer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        const kill = () => void runc(stateRoot, ['kill', id, 'KILL']);
        kill();
        killer = setInterval(kill, 200);
      };
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener('abort', onAbort, { once: true });
      p.on('error', reject);
      p.on('close', (c, sig) => {
        if (killer) clearInterval(killer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve({ code: c ?? (sig ? 128 : 1), stderrTail: errText });
      });
    });
    if (o.signal?.aborted) throw new EngineError(ErrorCode.CANCELLED, 'build cancelled');
    if (code !== 0) {
      const cmd = JSON.stringify(o.args.join(' '));
      // runc itself failing to start the process reads differently from the process failing.
      if (/level=error|runc run failed|exec failed/.test(stderrTail)) {
        const c = classifyStartError(stderrTail);
        throw new BuildStepError(`process ${cmd} could not start: ${c.message}`, undefined, [], startFailureExitCode(c.cause));
      }
      throw new BuildStepError(`process ${cmd} did not complete successfully: exit code: ${code}`, undefined, [], code);
    }
  } finally {
    await runc(stateRoot, ['delete', '--force', id]).catch(() => {});
    let stuck = false;
    for (const v of views) await v.unmount().catch(() => (stuck = true));
    if (mounted) await driver.unmount(m.target).catch(() => (stuck = true));
    // Never delete through a mount that is still there: it would reach the layers below.
    if (!stuck) rmSync(dir, { recursive: true, force: true });
  }
  dropStubs(o.upperDir, stubs);
  if (!existsSync(o.upperDir)) throw new EngineError(ErrorCode.INVALID, `RUN left no upper dir at ${o.upperDir}`);
}
