import { InvalidArgumentError } from '../model/errors.js';
import type { RestartPolicy } from '../model/container-spec.js';

/**
 * Restart policies (docker's --restart): the one rule for whether an exited container comes
 * back, and after how long. Used by the exit path (conmon's exit command, the API's exit
 * watcher) and by `system restore`.
 */
export type PolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';
export interface Policy { Name: PolicyName; MaximumRetryCount: number }

const NAMES: PolicyName[] = ['no', 'always', 'unless-stopped', 'on-failure'];

/** `--restart` text -> the API's RestartPolicy (checked by checkRestartPolicy at create). */
export function parseRestartFlag(text: string | undefined): RestartPolicy | undefined {
  if (text === undefined || text === '') return undefined;
  const parts = text.split(':');
  if (parts.length > 2) throw new InvalidArgumentError(`invalid restart policy format: ${text}: use no, always, unless-stopped or on-failure[:max-retries]`);
  const p: RestartPolicy = { Name: parts[0] as PolicyName };
  if (parts.length === 2) {
    if (!/^-?\d+$/.test(parts[1]!)) throw new InvalidArgumentError('maximum retry count must be an integer');
    p.MaximumRetryCount = Number(parts[1]);
  }
  return p;
}

/** Check a create's RestartPolicy (docker's words) and the --rm conflict; the stored policy. */
export function checkRestartPolicy(p: RestartPolicy | null | undefined, autoRemove: boolean): Policy {
  const name = (p?.Name || 'no') as PolicyName;
  const count = p?.MaximumRetryCount ?? 0;
  if (!NAMES.includes(name)) {
    throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  if (count > 0 && name !== 'on-failure') throw new InvalidArgumentError("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  if (name !== 'no' && autoRemove) throw new InvalidArgumentError('Conflicting options: --restart and --rm');
  return { Name: name, MaximumRetryCount: count };
}

export interface ExitFacts { exitCode: number; stoppedByUser: boolean; restartCount: number; ranMs: number }

/** Whether the exited container should be started again (a user's stop/kill never restarts). */
export function shouldRestart(p: Policy | undefined, f: ExitFacts): boolean {
  if (!p || p.Name === 'no' || f.stoppedByUser) return false;
  if (p.Name === 'on-failure') return f.exitCode !== 0 && (p.MaximumRetryCount === 0 || f.restartCount < p.MaximumRetryCount);
  return true;
}

/** docker's backoff: 100 ms doubling per quick restart, capped at 1 min; reset after a 10 s run. */
export function restartDelayMs(f: ExitFacts): number {
  if (f.ranMs >= 10_000) return 100;
  return Math.min(100 * 2 ** Math.min(f.restartCount, 10), 60_000);
}

/** `always`/`unless-stopped` containers that `system restore` brings back when not running. */
export function restoresAtBoot(p: Policy | undefined, stoppedByUser: boolean): boolean {
  if (!p) return false;
  return p.Name === 'always' || (p.Name === 'unless-stopped' && !stoppedByUser);
}

/** The row of an exited container whose policy will start it again (docker's State.Restarting). */
export function restartPending(rec: { state: string; exitCode: number; stoppedByUser: boolean; restartCount: number; spec: { hostConfig: { RestartPolicy?: Policy } } }): boolean {
  return rec.state === 'exited' && shouldRestart(rec.spec.hostConfig.RestartPolicy, { exitCode: rec.exitCode, stoppedByUser: rec.stoppedByUser, restartCount: rec.restartCount, ranMs: 0 });
}
