import { InvalidArgumentError } from '../model/errors.js';

/** The sysctls docker lets a container set: the ones the kernel keeps per namespace. */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Which namespace a sysctl lives in, or undefined when it is not namespaced (docker refuses it). */
export function sysctlNamespace(key: string): 'ipc' | 'net' | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'net';
  return undefined;
}

/** `--sysctl KEY=VALUE` as docker's CLI checks it ("is not whitelisted"). */
export function parseSysctl(v: string): [string, string] {
  const i = v.indexOf('=');
  if (i < 0 || !sysctlNamespace(v.slice(0, i))) throw new InvalidArgumentError(`sysctl '${v}' is not whitelisted`);
  return [v.slice(0, i), v.slice(i + 1)];
}

/**
 * HostConfig.Sysctls for config.json: each must be namespaced and its namespace the
 * container's own (runc's words when the host's would be changed).
 */
export function checkSysctls(s: Record<string, string> | null | undefined, hostNet: boolean, hostIpc: boolean): Record<string, string> | undefined {
  if (!s || Object.keys(s).length === 0) return undefined;
  for (const [k, v] of Object.entries(s)) {
    const ns = sysctlNamespace(k);
    if (!ns) throw new InvalidArgumentError(`sysctl '${k}=${v}' is not whitelisted`);
    if (ns === 'net' && hostNet) throw new InvalidArgumentError(`sysctl "${k}" not allowed in host network namespace`);
    if (ns === 'ipc' && hostIpc) throw new InvalidArgumentError(`sysctl "${k}" is not allowed in the hosts ipc namespace`);
  }
  return { ...s };
}
