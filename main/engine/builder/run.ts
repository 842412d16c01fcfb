import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { chooseDriver, driverByName } from '../mount/probe.js';
import type { LayerMount } from '../mount/driver.js';
import { buildSpec } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import { mkdirScoped } from '../runtime/rootfs-path.js';
import { writeEtcFiles } from '../runtime/etc-files.js';
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
}

/** Mount points runc makes in the rootfs; if a RUN left them empty and new, they are not content. */
const MOUNT_POINTS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys', '/dev'];

function dropMountPoints(upper: string, lowers: string[]): void {
  const below = new LayerView(lowers);
  for (const p of MOUNT_POINTS) {
    const h = join(upper, p);
    let st;
    try {
      st = lstatSync(h);
    } catch {
      continue;
    }
    if (below.stat(p, false)) continue;
    if (st.isFile() && st.size === 0) rmSync(h, { force: true });
    else if (st.isDirectory() && readdirSync(h).length === 0) rmdirSync(h);
  }
}

export async function runStep(engine: Engine, o: RunStepOptions): Promise<void> {
  const choice = await chooseDriver(engine.store.paths.root);
  if (choice.driver === 'copy') {
    throw new EngineError(ErrorCode.SYSTEM, 'RUN needs an overlay mount (kernel overlayfs or fuse-overlayfs); this store fell back to copying layers, which builds do not support');
  }
  const driver = driverByName(choice.driver);
  // pid in the name: `system check` leaves a live build's mounted dir alone.
  const id = `build-${process.pid}-${randomBytes(6).toString('hex')}`;
  const dir = join(engine.store.paths.tmp, id);
  const m: LayerMount = { lowers: o.lowerDirs.length ? o.lowerDirs : [join(dir, 'empty')], upper: o.upperDir, work: join(dir, 'work'), target: join(dir, 'rootfs'), linkDir: join(dir, 'l') };
  for (const p of [dir, m.work, m.target, m.linkDir, ...(o.lowerDirs.length ? [] : [m.lowers[0]!])]) mkdirSync(p, { recursive: true });
  const stateRoot = engine.store.paths.runtimeState;
  mkdirSync(stateRoot, { recursive: true });
  let mounted = false;
  try {
    if (o.signal?.aborted) throw new EngineError(ErrorCode.CANCELLED, 'build cancelled');
    await driver.mount(m);
    mounted = true;
    const user = resolveUser(m.target, o.user || undefined);
    if (o.cwd !== '/') mkdirScoped(m.target, o.cwd);
    const etc = writeEtcFiles(dir, { hostname: 'buildkitsandbox', network: o.network });
    const spec = buildSpec({ rootfs: m.target, args: o.args, env: o.env, cwd: o.cwd, user, hostname: 'buildkitsandbox', tty: false, network: o.network, etcFiles: etc, cgroupsPath: cgroupsPathFor(id, isRootless()) });
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
    if (mounted) await driver.unmount(m.target).catch(() => {});
    await runc(stateRoot, ['delete', '--force', id]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  dropMountPoints(o.upperDir, o.lowerDirs);
  if (!existsSync(o.upperDir)) throw new EngineError(ErrorCode.INVALID, `RUN left no upper dir at ${o.upperDir}`);
}
