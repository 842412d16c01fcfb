import type { Engine } from '../engine.js';
import { NotFoundError } from '../model/errors.js';
import { COMPOSE_LABELS } from '../model/compose-labels.js';
import { appRecords } from './apps.js';
import { readLogLines, type LogLineRead } from './log-lines.js';

export interface AppLogLine extends LogLineRead {
  service: string;
  container: string;
}

/**
 * `docker-compose logs`: every container's log of the project, interleaved by time, each line
 * with its service. `cursor` maps a container id to where its last read ended; a container
 * not in it (the first call, or one compose made since) is read from its start, and on the
 * first call only the last `tail` lines of the interleaved whole are given.
 */
export async function appLogs(engine: Engine, project: string, o: { tail: number; cursor: Record<string, number> }): Promise<{ lines: AppLogLine[]; cursor: Record<string, number> }> {
  const recs = appRecords(await engine.containers.list({ all: true }), project);
  if (!recs.length) throw new NotFoundError(`No such app: ${project} (no container has the label ${COMPOSE_LABELS.project}=${project})`);
  const first = Object.keys(o.cursor).length === 0;
  const cursor: Record<string, number> = {};
  const lines: AppLogLine[] = [];
  for (const r of recs) {
    const got = await readLogLines(engine.containers.files(r.id).log, o.cursor[r.id] ?? 0, first ? o.tail : Number.MAX_SAFE_INTEGER);
    cursor[r.id] = got.cursor;
    const service = r.spec.config.Labels?.[COMPOSE_LABELS.service] ?? r.name;
    for (const l of got.lines) lines.push({ ...l, service, container: r.name });
  }
  // stable: one container's lines of the same instant keep their order
  lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { lines: first ? lines.slice(-o.tail) : lines, cursor };
}
