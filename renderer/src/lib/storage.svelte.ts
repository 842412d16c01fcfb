import type { NetworkSummary, VolumeSummary } from '../../../shared/api.js';
import { call, on } from './api.js';
import { errorText } from './state.svelte.js';

/** The Volumes and Networks pages' live lists, refreshed from the engine's volume/network (and container) events. */
export const storage = $state({
  volumes: [] as VolumeSummary[],
  volumesLoaded: false,
  volumesError: '',
  networks: [] as NetworkSummary[],
  networksLoaded: false,
  networksError: '',
  /** bumped after each refresh so a detail page re-reads its item */
  tick: 0,
});

export async function refreshVolumes(): Promise<void> {
  try {
    storage.volumes = await call('volumes.list', {});
    storage.volumesError = '';
  } catch (e) {
    storage.volumesError = errorText(e);
  } finally {
    storage.volumesLoaded = true;
    storage.tick++;
  }
}

export async function refreshNetworks(): Promise<void> {
  try {
    storage.networks = await call('networks.list', {});
    storage.networksError = '';
  } catch (e) {
    storage.networksError = errorText(e);
  } finally {
    storage.networksLoaded = true;
    storage.tick++;
  }
}

let started = false;
/** Once: load both lists and follow the events that change them (a container's create/destroy changes who uses what). */
export function startStorageLive(): void {
  if (started) return;
  started = true;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const kinds = new Set<string>();
  on('engine.event', (ev) => {
    if (ev.type !== 'volume' && ev.type !== 'network' && ev.type !== 'container') return;
    kinds.add(ev.type);
    pending ??= setTimeout(() => {
      pending = undefined;
      if (kinds.has('volume') || kinds.has('container')) void refreshVolumes();
      if (kinds.has('network') || kinds.has('container')) void refreshNetworks();
      kinds.clear();
    }, 150);
  });
  void refreshVolumes();
  void refreshNetworks();
}
