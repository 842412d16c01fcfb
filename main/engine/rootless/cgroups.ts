import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, ErrorCode } from '../model/errors.js';

export type Controller = 'memory' | 'cpu' | 'pids' | 'freezer';

/** This process's cgroup path for one controller (v1), or the unified path (v2). */
function ownCgroupDir(controller: Controller): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.trim().split('\n').map((l) => l.split(':'));
  const v1 = lines.find((l) => (l[1] ?? '').split(',').includes(controller));
  if (v1) return join('/sys/fs/cgroup', controller, v1.slice(2).join(':'));
  const v2 = lines.find((l) => l[0] === '0' && l[1] === '');
  if (!v2) return undefined;
  const dir = join('/sys/fs/cgroup', v2.slice(2).join(':'));
  try {
    // a v2 controller is usable below us only if it is enabled for our cgroup
    if (!readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller)) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/** Is `controller` delegated to us: can we make child cgroups under our own? */
export function controllerDelegated(controller: Controller): boolean {
  const dir = ownCgroupDir(controller);
  if (!dir) return false;
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rootless limits need a delegated cgroup (systemd does it per user on cgroup v2 with
 * Delegate=yes); without one runc would silently run the container unlimited, so refuse
 * with what to do instead.
 */
export function assertLimitsAllowed(r: { memory?: number | null; nanoCpus?: number | null; pidsLimit?: number | null }): void {
  const asked: [string, Controller][] = [];
  if (r.memory) asked.push(['--memory', 'memory']);
  if (r.nanoCpus) asked.push(['--cpus', 'cpu']);
  if (r.pidsLimit && r.pidsLimit > 0) asked.push(['--pids-limit', 'pids']);
  const refused = asked.filter(([, c]) => !controllerDelegated(c));
  if (!refused.length) return;
  const flags = refused.map(([f]) => f).join(', ');
  const ctrls = refused.map(([, c]) => c).join(', ');
  throw new EngineError(ErrorCode.SYSTEM, `${flags} cannot be applied in rootless mode: the ${ctrls} cgroup controller is not delegated to this user ` +
      '(needs cgroup v2 with systemd user delegation, Delegate=yes); run without the flag, or as root');
}

/**
 * runc's cgroupsPath for a container. As root, /slipway/<id> under each hierarchy's root.
 * Rootless with a delegated cgroup, relative (runc puts it under its own cgroup, the only
 * place a delegated subtree can be); without one, none at all: runc's rootless manager
 * forgives the cgroups it may not create only when no path was asked for.
 */
export function cgroupsPathFor(id: string, rootless: boolean): string | undefined {
  if (!rootless) return `/slipway/${id}`;
  return (['memory', 'cpu', 'pids'] as const).some(controllerDelegated) ? `slipway/${id}` : undefined;
}
