import type { ContainerSummary } from '../../../shared/api.js';

// docker ps's STATUS column, the same rule as `slipway ps` and the Engine API's (one home).
export { statusText } from '../../../main/engine/model/container-status.js';

/** The badge colour: a non-zero exit that the user did not ask for is a crash. */
export function badgeClass(c: ContainerSummary): string {
  if (c.state === 'exited' && (c.oomKilled || (c.exitCode !== 0 && !c.stoppedByUser))) return 'crashed';
  return c.state;
}
