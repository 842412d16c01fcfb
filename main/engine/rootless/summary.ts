import { currentIdMap, isRootless } from './detect.js';
import { controllerDelegated } from './cgroups.js';
import { pausePidFile } from './pause.js';
import { TUN, tunUsable } from './network.js';

function describeMap(kind: 'uid' | 'gid'): string {
  return currentIdMap(kind).map((m) => `${m.inside}-${m.inside + m.count - 1} -> host ${m.outside}-${m.outside + m.count - 1}`).join(', ');
}

/** What `slipway info` shows about rootless mode: whether, which id mapping, which limits. */
export function rootlessSummary(): { Rootless: boolean; RootlessIdMapping: string; RootlessCgroupLimits: string; RootlessNetwork: string } {
  if (!isRootless()) return { Rootless: false, RootlessIdMapping: '', RootlessCgroupLimits: '', RootlessNetwork: '' };
  const delegated = (['memory', 'cpu', 'pids'] as const).filter(controllerDelegated);
  return {
    Rootless: true,
    RootlessIdMapping: `uids ${describeMap('uid')}; gids ${describeMap('gid')} (user namespace held by the pause process in ${pausePidFile()})`,
    RootlessNetwork: tunUsable() ? 'pasta (default), none, host' : `none (default: ${TUN} is not usable by this user, so pasta cannot run), host`,
    RootlessCgroupLimits: delegated.length ? `delegated: ${delegated.join(', ')}` : 'none (no cgroup is delegated to this user: --memory, --cpus and --pids-limit are refused)',
  };
}
