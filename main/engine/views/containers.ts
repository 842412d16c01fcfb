import type { Engine } from '../engine.js';
import type { ContainerRecord } from '../container/types.js';
import { inspectMounts, mountPointsOf } from '../volume/mount-points.js';
import { livePorts } from '../network/ports-view.js';
import { InvalidArgumentError } from '../model/errors.js';
import { matchLabel } from '../model/filters.js';

export { displayState } from '../model/container-status.js';
import { displayState, statusText as statusOf } from '../model/container-status.js';
import { restartPending } from '../container/restart-policy.js';
import { projectOf } from '../model/compose-labels.js';

/** docker's Status text for a record: "Restarting (1) 2 seconds ago" while its policy will start it again. */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  return statusOf({ ...rec, restarting: restartPending(rec), health: rec.health?.Status }, now);
}

/** The command line docker shows for a container (path and args joined by spaces). */
export function commandLine(rec: Pick<ContainerRecord, 'spec'>): string {
  return [rec.spec.path, ...rec.spec.args].join(' ');
}

/** The filters docker's GET /containers/json accepts (daemon/list.go). */
export const CONTAINER_FILTERS = ['ancestor', 'before', 'exited', 'id', 'isolation', 'label', 'name', 'status', 'health', 'since', 'volume', 'network', 'is-task', 'publish', 'expose'] as const;

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];


/** "80", "80/udp", "8000-8080/tcp" -> a test on a "port/proto" key. */
function portFilter(v: string): (key: string) => boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`invalid port filter ${v}: use PORT[/PROTO] or START-END[/PROTO]`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  return (key) => {
    const [p, pr = 'tcp'] = key.split('/');
    return pr === proto && Number(p) >= lo && Number(p) <= hi;
  };
}

/**
 * docker's container filters: the values of one key are alternatives (any may match), the keys
 * all apply. `filters` maps a key to its values, as the Engine API sends them.
 */
export function containerFilter(engine: Engine, all: ContainerRecord[], filters: Map<string, string[]>): (r: ContainerRecord) => boolean {
  const tests: Array<(r: ContainerRecord) => boolean> = [];
  const any = (vals: string[], f: (r: ContainerRecord, v: string) => boolean) => tests.push((r) => vals.some((v) => f(r, v)));
  const byRef = (ref: string) => all.find((c) => c.id === ref || c.name === ref.replace(/^\//, '') || (ref.length >= 3 && c.id.startsWith(ref)));
  for (const [key, vals] of filters) {
    if (!vals.length) continue;
    switch (key) {
      case 'status':
        for (const v of vals) if (!STATUSES.includes(v)) throw new InvalidArgumentError(`invalid filter 'status=${v}'`);
        any(vals, (r, v) => displayState(r) === v);
        break;
      case 'name':
        any(vals, (r, v) => new RegExp(v.replace(/^\//, '')).test(r.name));
        break;
      case 'id':
        any(vals, (r, v) => r.id.startsWith(v));
        break;
      case 'label':
        tests.push((r) => vals.every((v) => matchLabel(r.spec.config.Labels, v)));
        break;
      case 'ancestor':
        any(vals, (r, v) => {
          const img = engine.images.find(v);
          return img ? r.imageId === img.id : r.imageRef === v;
        });
        break;
      case 'exited':
        for (const v of vals) if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`invalid filter 'exited=${v}'`);
        any(vals, (r, v) => displayState(r) === 'exited' && r.exitCode === Number(v));
        break;
      case 'before':
      case 'since': {
        const ref = byRef(vals[0]!);
        if (!ref) throw new InvalidArgumentError(`No such container: ${vals[0]}`);
        const t = new Date(ref.created).getTime();
        tests.push((r) => (key === 'before' ? new Date(r.created).getTime() < t : new Date(r.created).getTime() > t));
        break;
      }
      case 'network':
        any(vals, (r, v) => r.spec.hostConfig.NetworkMode === v || engine.networks.networkNames(r).includes(v) || Object.values(engine.networks.containerEndpoints(r)).some((e) => e.NetworkID.startsWith(v)));
        break;
      case 'volume':
        // docker: a volume's name or a mount's destination (or a bind's source)
        any(vals, (r, v) => mountPointsOf(r).some((m) => m.Name === v || m.Source === v || m.Destination === v));
        break;
      case 'publish': {
        const ports = vals.map(portFilter);
        tests.push((r) => Object.entries(livePorts(engine.store.paths.root, r)).some(([k, b]) => b && ports.some((p) => p(k))));
        break;
      }
      case 'expose': {
        const ports = vals.map(portFilter);
        tests.push((r) => Object.keys(r.spec.config.ExposedPorts ?? {}).some((k) => ports.some((p) => p(k.includes('/') ? k : `${k}/tcp`))));
        break;
      }
      case 'health':
        for (const v of vals) if (!HEALTH.includes(v)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${v}`);
        any(vals, (r, v) => (r.health?.Status ?? 'none') === v);
        break;
      case 'is-task':
        any(vals, (_r, v) => v === 'false');
        break;
      case 'isolation':
        any(vals, (_r, v) => v === 'default');
        break;
      default:
        throw new InvalidArgumentError(`invalid filter '${key}'`);
    }
  }
  return (r) => tests.every((t) => t(r));
}

/** The container's networks: its endpoints on user-defined networks, else its mode as the one name. */
function networksOf(engine: Engine, rec: ContainerRecord): Record<string, object> {
  const eps = engine.networks.containerEndpoints(rec);
  if (Object.keys(eps).length) return eps;
  const mode = rec.spec.hostConfig.NetworkMode;
  return { [mode]: { NetworkID: mode, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' } };
}

/** One item of docker's GET /containers/json. */
export function containerSummary(engine: Engine, rec: ContainerRecord) {
  const h = rec.spec.hostConfig;
  const ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
  for (const [k, bindings] of Object.entries(livePorts(engine.store.paths.root, rec))) {
    const [p, type = 'tcp'] = k.split('/');
    if (!bindings) ports.push({ PrivatePort: Number(p), Type: type });
    else for (const b of bindings) ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(p), PublicPort: Number(b.HostPort), Type: type });
  }
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.imageRef,
    ImageID: rec.imageId,
    Command: commandLine(rec),
    Created: Math.floor(new Date(rec.created).getTime() / 1000),
    Ports: ports,
    Labels: rec.spec.config.Labels ?? {},
    State: displayState(rec),
    Status: statusText(rec),
    HostConfig: { NetworkMode: h.NetworkMode },
    NetworkSettings: { Networks: networksOf(engine, rec) },
    Mounts: inspectMounts(rec),
  };
}

export type ContainerSummary = ReturnType<typeof containerSummary>;

/** docker's GET /containers/json: newest first; `limit` > 0 keeps that many (and implies all). */
export async function listContainers(engine: Engine, o: { all?: boolean; limit?: number; filters?: Map<string, string[]> }): Promise<ContainerSummary[]> {
  const filters = o.filters ?? new Map<string, string[]>();
  // As dockerd: any status filter lists stopped containers too.
  const wantsStopped = (filters.get('status') ?? []).length > 0;
  const every = await engine.containers.list({ all: true });
  const keep = containerFilter(engine, every, filters);
  let recs = every.filter((r) => (o.all || wantsStopped || (o.limit ?? 0) > 0 || displayState(r) === 'running' || displayState(r) === 'paused') && keep(r));
  if (o.limit && o.limit > 0) recs = recs.slice(0, o.limit);
  return recs.map((r) => containerSummary(engine, r));
}

/** What the app's containers list shows for one container (the contract's ContainerSummary, less its links). */
export function containerOverview(r: ContainerRecord) {
  return {
    id: r.id,
    name: r.name,
    image: r.imageRef,
    imageId: r.imageId,
    command: commandLine(r),
    created: r.created,
    state: displayState(r),
    exitCode: r.exitCode,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    stoppedByUser: r.stoppedByUser,
    oomKilled: r.oomKilled,
    ports: Object.keys(r.spec.config.ExposedPorts ?? {}).join(', '),
    ...(r.health ? { health: r.health.Status } : {}),
    ...(projectOf(r) ? { app: projectOf(r) } : {}),
  };
}
