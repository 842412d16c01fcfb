import type { LayerTransfer } from '../../../shared/api.js';
import { call, on } from './api.js';

/** One pull or push the user started, with one row per layer as the engine reports it. */
export interface Transfer {
  task: string;
  kind: 'pull' | 'push';
  ref: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  message: string;
  error?: string;
  /** pull: the image id it ended on */
  imageId?: string;
  layers: LayerTransfer[];
}

/**
 * Transfers live here, not in a page, so a pull keeps its rows (and keeps going: it is an
 * engine task) when the user leaves the Pull page and comes back.
 */
export const transfers = $state({ list: [] as Transfer[] });

let listening = false;
function listen(): void {
  if (listening) return;
  listening = true;
  on('task.progress', (p) => {
    const t = transfers.list.find((x) => x.task === p.task);
    if (!t) return;
    t.message = p.message;
    if (!p.layer) return;
    const i = t.layers.findIndex((l) => l.id === p.layer!.id);
    if (i < 0) t.layers.push(p.layer);
    else t.layers[i] = p.layer;
  });
  on('task.done', (d) => {
    const t = transfers.list.find((x) => x.task === d.task);
    if (!t) return;
    t.state = d.state;
    t.error = d.error;
    t.message = d.state === 'done' ? 'done' : (d.error ?? d.state);
    const r = d.result;
    if (r && 'id' in r) t.imageId = r.id;
  });
}

export async function startTransfer(kind: 'pull' | 'push', ref: string): Promise<Transfer> {
  listen();
  const { task } = await call(kind === 'pull' ? 'images.pull' : 'images.push', { ref });
  transfers.list.unshift({ task, kind, ref, state: 'running', message: 'started', layers: [] });
  transfers.list.splice(50);
  return transfers.list[0]!;
}

export async function cancelTransfer(task: string): Promise<void> {
  await call('tasks.cancel', { task });
}
