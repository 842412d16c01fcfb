import { isAbsolute, join } from 'node:path';
import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../container/types.js';
import { displayState } from '../model/container-status.js';
import { statusText } from './containers.js';
import { portsColumn } from '../network/ports-view.js';
import { mountPointsOf } from '../volume/mount-points.js';
import { COMPOSE_LABELS, projectOf } from '../model/compose-labels.js';

export { COMPOSE_LABELS } from '../model/compose-labels.js';

export interface AppContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  /** made by `docker-compose run`: listed, but not counted in the app's summary (as `compose ps`) */
  oneoff: boolean;
  state: string;
  status: string;
  health?: string;
  /** docker ps's PORTS column, split: "127.0.0.1:8080->80/tcp" */
  ports: string[];
  created: string;
}

export interface AppService {
  name: string;
  image: string;
  containers: AppContainer[];
}

export interface AppOverview {
  project: string;
  services: AppService[];
  /** counts over the app's service containers (one-offs left out) */
  total: number;
  running: number;
  unhealthy: number;
  /** "2/2 running", "1/2 running, 1 unhealthy" */
  summary: string;
  /** running: every container runs; partial: some do; stopped: none */
  state: 'running' | 'partial' | 'stopped';
  ports: string[];
  volumes: string[];
  networks: string[];
  workingDir: string;
  /** absolute paths (compose labels them relative to the working dir) */
  configFiles: string[];
  created: string;
}


/** The containers of one compose project, oldest first (the order compose made them in: dependencies first). */
export function appRecords(all: ContainerRecord[], project: string): ContainerRecord[] {
  return all.filter((r) => projectOf(r) === project).sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
}

function appContainer(engine: Engine, r: ContainerRecord): AppContainer {
  const l = r.spec.config.Labels ?? {};
  const ports = portsColumn(engine.store.paths.root, r);
  return {
    id: r.id,
    name: r.name,
    service: l[COMPOSE_LABELS.service] ?? '',
    number: Number(l[COMPOSE_LABELS.number] ?? 1) || 1,
    oneoff: /^true$/i.test(l[COMPOSE_LABELS.oneoff] ?? ''),
    state: displayState(r),
    status: statusText(r),
    ...(r.health ? { health: r.health.Status } : {}),
    ports: ports ? ports.split(', ') : [],
    created: r.created,
  };
}

function summaryOf(counted: AppContainer[]): Pick<AppOverview, 'total' | 'running' | 'unhealthy' | 'summary' | 'state'> {
  const total = counted.length;
  const running = counted.filter((c) => c.state === 'running').length;
  const unhealthy = counted.filter((c) => c.health === 'unhealthy').length;
  const parts = [`${running}/${total} running`];
  if (unhealthy) parts.push(`${unhealthy} unhealthy`);
  const restarting = counted.filter((c) => c.state === 'restarting').length;
  if (restarting) parts.push(`${restarting} restarting`);
  return { total, running, unhealthy, summary: parts.join(', '), state: running === 0 ? 'stopped' : running === total ? 'running' : 'partial' };
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** What compose labelled with a project (networks, volumes), read once for all the apps. */
interface Labelled {
  volumes: { Name: string; Labels: Record<string, string> | null }[];
  networks: { Name: string; Labels: Record<string, string> | null }[];
}

function overview(engine: Engine, project: string, recs: ContainerRecord[], labelled: Labelled): AppOverview {
  const byService = new Map<string, AppService>();
  const containers = recs.map((r) => appContainer(engine, r));
  recs.forEach((r, i) => {
    const c = containers[i]!;
    const s = byService.get(c.service) ?? { name: c.service, image: r.imageRef, containers: [] };
    s.containers.push(c);
    byService.set(c.service, s);
  });
  for (const s of byService.values()) s.containers.sort((a, b) => Number(a.oneoff) - Number(b.oneoff) || a.number - b.number);
  const labels = recs.map((r) => r.spec.config.Labels ?? {});
  const workingDir = labels.map((l) => l[COMPOSE_LABELS.workingDir]).find(Boolean) ?? '';
  const files = labels.flatMap((l) => (l[COMPOSE_LABELS.configFiles] ?? '').split(',')).map((f) => f.trim()).filter(Boolean);
  const isProjects = (l: Record<string, string> | null | undefined) => l?.[COMPOSE_LABELS.project] === project;
  return {
    project,
    services: [...byService.values()].sort((a, b) => a.name.localeCompare(b.name)),
    ...summaryOf(containers.filter((c) => !c.oneoff)),
    ports: sorted(containers.flatMap((c) => c.ports)),
    // what its containers use, and what compose made for it that none uses now
    volumes: sorted([
      ...recs.flatMap((r) => mountPointsOf(r).flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : []))),
      ...labelled.volumes.filter((v) => isProjects(v.Labels)).map((v) => v.Name),
    ]),
    networks: sorted([...recs.flatMap((r) => engine.networks.networkNames(r)), ...labelled.networks.filter((n) => isProjects(n.Labels)).map((n) => n.Name)]),
    workingDir,
    configFiles: sorted(files.map((f) => (isAbsolute(f) || !workingDir ? f : join(workingDir, f)))),
    created: recs[0]?.created ?? '',
  };
}

/** Every compose project with a container here, by name: the Apps page's rows. */
export async function appOverviews(engine: Engine): Promise<AppOverview[]> {
  const all = await engine.containers.list({ all: true });
  const projects = sorted(all.flatMap((r) => projectOf(r) ?? []));
  const labelled = { volumes: engine.volumes.list(), networks: engine.networks.list() };
  return projects.map((p) => overview(engine, p, appRecords(all, p), labelled));
}
