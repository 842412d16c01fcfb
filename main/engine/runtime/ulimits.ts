import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../model/errors.js';
import { hasCapability } from './capabilities.js';

/** docker's Ulimit (HostConfig.Ulimits). */
export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** go-units' ulimit names -> the RLIMIT_* type and the row of /proc/self/limits. */
const LIMITS: Record<string, [string, string]> = {
  core: ['RLIMIT_CORE', 'Max core file size'],
  cpu: ['RLIMIT_CPU', 'Max cpu time'],
  data: ['RLIMIT_DATA', 'Max data size'],
  fsize: ['RLIMIT_FSIZE', 'Max file size'],
  locks: ['RLIMIT_LOCKS', 'Max file locks'],
  memlock: ['RLIMIT_MEMLOCK', 'Max locked memory'],
  msgqueue: ['RLIMIT_MSGQUEUE', 'Max msgqueue size'],
  nice: ['RLIMIT_NICE', 'Max nice priority'],
  nofile: ['RLIMIT_NOFILE', 'Max open files'],
  nproc: ['RLIMIT_NPROC', 'Max processes'],
  rss: ['RLIMIT_RSS', 'Max resident set'],
  rtprio: ['RLIMIT_RTPRIO', 'Max realtime priority'],
  rttime: ['RLIMIT_RTTIME', 'Max realtime timeout'],
  sigpending: ['RLIMIT_SIGPENDING', 'Max pending signals'],
  stack: ['RLIMIT_STACK', 'Max stack size'],
};

function int(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number(s);
}

/** `--ulimit name=soft[:hard]` with go-units' words (the CLI adds docker's flag prefix). */
export function parseUlimit(v: string): Ulimit {
  const parts = v.split('=');
  if (parts.length !== 2) throw new InvalidArgumentError(`invalid ulimit argument: ${v}`);
  const [name, values] = parts as [string, string];
  if (!(name in LIMITS)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const lim = values.split(':');
  if (lim.length > 2) throw new InvalidArgumentError(`too many limit value arguments - ${values}, can only have up to two, \`soft[:hard]\``);
  const soft = int(lim[0]!);
  const hard = lim.length === 2 ? int(lim[1]!) : soft;
  if (soft > hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** This process's hard limit for a ulimit name (Infinity when unlimited). */
function callerHardLimit(name: string): number {
  const row = LIMITS[name]![1];
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(row));
    const hard = line?.slice(row.length).trim().split(/\s+/)[1];
    return !hard || hard === 'unlimited' ? Infinity : Number(hard);
  } catch {
    return Infinity;
  }
}

/**
 * HostConfig.Ulimits as process.rlimits. A container may lower a limit; raising one above the
 * caller's hard limit needs CAP_SYS_RESOURCE, which (as on this machine) the caller may not
 * have: then it is refused here, naming the most it can be, rather than by runc at start.
 */
export function ulimitsToRlimits(list: Ulimit[] | null | undefined): { type: string; soft: number; hard: number }[] {
  const out: { type: string; soft: number; hard: number }[] = [];
  for (const u of list ?? []) {
    const lim = LIMITS[u.Name];
    if (!lim) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    if (!Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) throw new InvalidArgumentError(`ulimit ${u.Name}: Soft and Hard must be integers`);
    if (u.Soft > u.Hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const max = callerHardLimit(u.Name);
    if (u.Hard > max && !hasCapability('CAP_SYS_RESOURCE')) {
      throw new InvalidArgumentError(
        `--ulimit ${u.Name}=${u.Soft}:${u.Hard}: the hard limit is above this process's own (${max}) and raising it needs CAP_SYS_RESOURCE, which this host does not grant: use at most ${max}`,
      );
    }
    out.push({ type: lim[0], soft: u.Soft, hard: u.Hard });
  }
  return out;
}
