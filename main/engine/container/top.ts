import { spawnSync } from 'node:child_process';
import { ConflictError, EngineError, ErrorCode } from '../model/errors.js';
import type { ContainerRecord } from './types.js';

/** docker's ContainerTopOKBody: ps's column titles and one row per process of the container. */
export interface ContainerTop {
  Titles: string[];
  Processes: string[][];
}

/** The container's processes: its init and everything below it in the host's process tree. */
function containerPids(rec: ContainerRecord): Set<number> {
  const pids = new Set<number>();
  if (!rec.pid) return pids;
  pids.add(rec.pid);
  const children = new Map<number, number[]>();
  for (const line of spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!p || pp === undefined) continue;
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const todo = [rec.pid];
  while (todo.length) for (const c of children.get(todo.pop()!) ?? []) if (!pids.has(c)) (pids.add(c), todo.push(c));
  return pids;
}

/**
 * docker top: the host's `ps` with the caller's options (default -ef), keeping the lines whose
 * PID is the container's; the last column keeps its spaces (the command line). One rule for
 * `slipway top` and GET /containers/{id}/top.
 */
export function containerTop(rec: ContainerRecord, psArgs: string[] = ['-ef']): ContainerTop {
  if (rec.state !== 'running' || !rec.pid) throw new ConflictError(`Container ${rec.id} is not running`);
  const r = spawnSync('ps', psArgs, { encoding: 'utf8' });
  if (r.status !== 0) throw new EngineError(ErrorCode.SYSTEM, `Error running ps: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  const lines = r.stdout.split('\n').filter(Boolean);
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidCol = titles.indexOf('PID');
  if (pidCol < 0) throw new EngineError(ErrorCode.SYSTEM, "Couldn't find PID field in ps output");
  const pids = containerPids(rec);
  const processes = lines.slice(1).flatMap((l) => {
    const f = l.trim().split(/\s+/);
    if (!pids.has(Number(f[pidCol]))) return [];
    return [[...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')]];
  });
  return { Titles: titles, Processes: processes };
}
