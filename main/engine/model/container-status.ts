import { humanAgo, humanDuration } from '../util/human.js';

/** What a status needs: a container record's fields, or the app's summary of one. */
export interface StatusFields {
  state: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number | null;
  /** an exited container that its restart policy will start again */
  restarting?: boolean;
  /** State.Health.Status of a container with a healthcheck */
  health?: string;
}

const zeroTime = (t: string): boolean => !t || t.startsWith('0001-');

/** The state docker shows: our internal 'exiting' (the exit is being recorded) is already exited. */
export function displayState(rec: Pick<StatusFields, 'state'>): 'created' | 'running' | 'paused' | 'exited' | 'dead' {
  const s = rec.state === 'exiting' ? 'exited' : rec.state;
  return s === 'running' || s === 'paused' || s === 'exited' || s === 'dead' ? s : 'created';
}

/**
 * docker's Status text: "Up 5 seconds", "Up 2 minutes (Paused)", "Exited (0) 3 seconds ago",
 * "Up 1 minute (healthy)", "Created". Pure, so `ps`, the API and the app (which redraws it every second) share it.
 */
export function statusText(rec: StatusFields, now = Date.now()): string {
  const up = () => (zeroTime(rec.startedAt) ? 'Up' : `Up ${humanDuration(now - new Date(rec.startedAt).getTime())}`);
  switch (displayState(rec)) {
    case 'running':
      // docker's Health.String(): "health: starting" while it starts
      return rec.health ? `${up()} (${rec.health === 'starting' ? 'health: starting' : rec.health})` : up();
    case 'paused':
      return `${up()} (Paused)`;
    case 'exited':
      if (rec.restarting) return `Restarting (${rec.exitCode ?? 0})${zeroTime(rec.finishedAt) ? '' : ` ${humanAgo(rec.finishedAt, now)}`}`;
      return `Exited (${rec.exitCode ?? 0})${zeroTime(rec.finishedAt) ? '' : ` ${humanAgo(rec.finishedAt, now)}`}`;
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}
