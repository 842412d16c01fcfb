import type { ContainerSummary } from '../../../shared/api.js';
import { humanAgo, humanDuration, isZeroTime } from './format.js';

/** docker ps's STATUS column: "Up 3 minutes", "Exited (0) 2 seconds ago", "Created". */
export function statusText(c: ContainerSummary, now = Date.now()): string {
  switch (c.state) {
    case 'running':
      return isZeroTime(c.startedAt) ? 'Up' : `Up ${humanDuration(now - new Date(c.startedAt).getTime())}`;
    case 'exited':
      return `Exited (${c.exitCode})${isZeroTime(c.finishedAt) ? '' : ` ${humanAgo(c.finishedAt, now)}`}`;
    case 'created':
      return 'Created';
    default:
      return c.state[0]!.toUpperCase() + c.state.slice(1);
  }
}

/** The badge colour: a non-zero exit that the user did not ask for is a crash. */
export function badgeClass(c: ContainerSummary): string {
  if (c.state === 'exited' && (c.oomKilled || (c.exitCode !== 0 && !c.stoppedByUser))) return 'crashed';
  return c.state;
}
