import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import type { ContainerManager } from './manager.js';
import { runcGlobalArgs, runcPath, classifyStartError, startFailureExitCode } from '../runtime/runc.js';
import { EngineError, ErrorCode } from '../model/errors.js';

/**
 * Interactive sessions (run -i/-t, start -i): conmon's attach socket is SOCK_SEQPACKET,
 * which Node cannot open, so `runc run` runs in the foreground with the caller's stdio and
 * handles the pty itself. The CLI is the monitor here: it writes the exit file and records
 * the exit, and the container lives as long as this session.
 */
export async function runForeground(mgr: ContainerManager, ref: string, opts: { tty: boolean; interactive: boolean }): Promise<number> {
  const rec = await mgr.get(ref);
  if (rec.state === 'running' || rec.state === 'paused') throw new EngineError(ErrorCode.CONFLICT, `container ${rec.name} is already running: use exec to run another process in it`);
  const f = mgr.files(rec.id);
  const root = mgr.engine.store.paths.runtimeState;
  await mgr.prepareRun(rec, opts.tty);
  writeFileSync(f.monitorPid, String(process.pid));
  const child = spawn(runcPath(), [...runcGlobalArgs(root), 'run', '--bundle', f.dir, '--pid-file', f.pidfile, rec.id], {
    // Without a tty the output passes through us so it also lands in ctr.log (docker logs);
    // with one, runc owns the terminal and the session is not logged.
    stdio: [opts.interactive ? 'inherit' : 'ignore', opts.tty ? 'inherit' : 'pipe', 'pipe'],
  });
  const log = openSync(f.log, 'a');
  const record = (stream: 'stdout' | 'stderr', d: Buffer) => {
    const text = d.toString();
    const lines = text.split('\n');
    const last = lines.pop()!;
    const ts = k8sTime();
    let out = lines.map((l) => `${ts} ${stream} F ${l}\n`).join('');
    if (last) out += `${ts} ${stream} P ${last}\n`;
    writeSync(log, out);
  };
  child.stdout?.on('data', (d: Buffer) => {
    process.stdout.write(d);
    record('stdout', d);
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 65536) stderr = stderr.slice(-32768);
    // runc's own logrus lines are turned into one Error line below; the rest is the container's.
    if (!/^time="[^"]*" level=/m.test(d.toString())) {
      process.stderr.write(d);
      if (!opts.tty) record('stderr', d);
    }
  });
  // The terminal's Ctrl-C reaches runc too, which passes it on to the container.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  let started = false;
  const poll = setInterval(() => {
    if (started || !existsSync(f.pidfile)) return;
    const pid = Number(readFileSync(f.pidfile, 'utf8').trim());
    if (!pid) return;
    started = true;
    mgr.markRunning(rec.id, pid);
  }, 20);
  const code: number = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
  });
  clearInterval(poll);
  closeSync(log);
  process.off('SIGINT', ignore);
  process.off('SIGTERM', ignore);
  if (!started && existsSync(f.pidfile)) {
    started = true;
    mgr.markRunning(rec.id, Number(readFileSync(f.pidfile, 'utf8').trim()) || 0);
  }
  if (!started) throw await mgr.failStart(rec, new (await import('./monitor.js')).RuntimeStartError(stderr));
  // runc reports its own failures to start the process with 255 and a message.
  let exit = code;
  if (code === 255 && /unable to start container process|exec failed/.test(stderr)) exit = startFailureExitCode(classifyStartError(stderr).cause);
  writeFileSync(f.exitFile, String(exit));
  await mgr.finalize(rec.id);
  return exit;
}

/** conmon's k8s-file timestamp: RFC 3339 with nanoseconds and a numeric zone. */
function k8sTime(): string {
  const ns = process.hrtime.bigint() % 1000000n;
  return `${new Date().toISOString().slice(0, 23)}${ns.toString().padStart(6, '0')}+00:00`;
}
