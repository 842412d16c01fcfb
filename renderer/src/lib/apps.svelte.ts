import type { AppSummary } from '../../../shared/api.js';
import { call, on } from './api.js';
import { errorText, toast } from './state.svelte.js';

/** The Apps pages' live list (compose projects), refreshed from the engine's container, network and volume events. */
export const apps = $state({
  list: [] as AppSummary[],
  loaded: false,
  error: '',
  /** bumped after each refresh so the app page re-reads what hangs off it */
  tick: 0,
});

export async function refreshApps(): Promise<void> {
  try {
    apps.list = await call('apps.list', {});
    apps.error = '';
  } catch (e) {
    apps.error = errorText(e);
  } finally {
    apps.loaded = true;
    apps.tick++;
  }
}

let started = false;
/** Once: load the list and follow what changes an app (its containers' states and health, its networks and volumes). */
export function startAppsLive(): void {
  if (started) return;
  started = true;
  let pending: ReturnType<typeof setTimeout> | undefined;
  on('engine.event', (ev) => {
    if (ev.type !== 'container' && ev.type !== 'network' && ev.type !== 'volume') return;
    // a compose up or down is a burst of events: one refresh for it
    pending ??= setTimeout(() => {
      pending = undefined;
      void refreshApps();
    }, 150);
  });
  void refreshApps();
}

/** One colour per service, the same on every page: its place among the app's services, round a palette readable in light and dark. */
export function serviceColour(services: string[], service: string): string {
  const i = services.indexOf(service);
  return `var(--svc-${(i < 0 ? 0 : i) % 6})`;
}

export type AppActionName = 'start' | 'stop' | 'restart' | 'remove';
const PAST: Record<AppActionName, string> = { start: 'Started', stop: 'Stopped', restart: 'Restarted', remove: 'Removed' };
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Run a group action and say what it did in a toast (each failure in its own, naming the thing); throws what the call threw. */
export async function runAppAction(project: string, action: AppActionName, volumes = false): Promise<void> {
  try {
    const r = await call('apps.action', { project, action, volumes });
    const failed = [...r.containers, ...r.networks, ...r.volumes].filter((x) => x.error);
    for (const f of failed) toast(`${project}: ${f.name}: ${f.error}`, 'error', 9000);
    const parts = [count(r.containers.length, 'container')];
    if (r.networks.length) parts.push(count(r.networks.length, 'network'));
    if (r.volumes.length) parts.push(count(r.volumes.length, 'volume'));
    if (!failed.length) toast(`${PAST[action]} ${project} (${parts.join(', ')})`, 'success');
  } finally {
    void refreshApps();
  }
}
