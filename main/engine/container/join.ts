import type { Engine } from '../engine.js';
import { ConflictError, NotFoundError } from '../model/errors.js';
import type { HostConfig } from './types.js';

const KINDS = [['ipc', 'IpcMode', 'IPC'], ['pid', 'PidMode', 'PID'], ['uts', 'UTSMode', 'UTS']] as const;

function targets(h: HostConfig): [kind: 'ipc' | 'pid' | 'uts', ref: string, word: string][] {
  const out: ['ipc' | 'pid' | 'uts', string, string][] = [];
  for (const [kind, field, word] of KINDS) {
    const m = h[field] ?? '';
    if (m.startsWith('container:')) out.push([kind, m.slice(10), word]);
  }
  return out;
}

/** The containers a start of this one needs running first (its `container:NAME` namespace modes). */
export function startsAfter(h: HostConfig): string[] {
  return targets(h).map(([, ref]) => ref);
}

/** At create: every `container:NAME` namespace mode must name a container (docker's words). */
export function checkJoinTargets(engine: Engine, h: HostConfig): void {
  for (const [, ref] of targets(h)) if (!engine.containers.find(ref)) throw new NotFoundError(`No such container: ${ref}`);
}

/** At start: the namespaces to join, from the running containers the modes name. */
export function joinedNamespaces(engine: Engine, h: HostConfig): { ipc?: string; pid?: string; uts?: string } {
  const out: { ipc?: string; pid?: string; uts?: string } = {};
  for (const [kind, ref, word] of targets(h)) {
    const other = engine.containers.find(ref);
    if (!other) throw new NotFoundError(`No such container: ${ref}`);
    if ((other.state !== 'running' && other.state !== 'paused') || !other.pid) {
      throw new ConflictError(`cannot join ${word} of a non running container: ${ref}`);
    }
    out[kind] = `/proc/${other.pid}/ns/${kind}`;
  }
  return out;
}
