import { InvalidArgumentError } from '../model/errors.js';

/**
 * A seccomp filter in the spirit of docker's default profile, written as a deny list (every
 * other call is allowed): the calls docker's profile refuses to a container without extra
 * capabilities, which either reach kernel surfaces a container has no business touching
 * (keyrings, bpf, perf, kexec, modules, userfaultfd) or escape namespaces (setns, unshare).
 * They fail with EPERM, as under docker. Docker's own profile is an allow list of ~350 calls;
 * a deny list is shorter to get right here and blocks the same dangerous ones.
 */
const DENIED = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module',
  'finit_module', 'fanotify_init', 'get_kernel_syms', 'init_module', 'ioperm', 'iopl',
  'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie',
  'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'perf_event_open',
  'pivot_root', 'process_vm_readv', 'process_vm_writev', 'query_module', 'quotactl', 'reboot',
  'request_key', 'setns', 'settimeofday', 'stime', 'swapoff', 'swapon', 'syslog',
  'sysfs', 'umount', 'umount2', 'mount', 'unshare', 'uselib', 'userfaultfd', 'ustat', 'vm86',
  'vm86old', 'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
];

/** The calls docker's default profile allows once a capability is added (its "includes": {"caps"}). */
const ALLOWED_BY_CAP: Record<string, string[]> = {
  CAP_SYS_ADMIN: ['bpf', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'move_mount',
    'name_to_handle_at', 'open_tree', 'perf_event_open', 'quotactl', 'setns', 'syslog', 'umount', 'umount2', 'unshare', 'pivot_root'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'process_vm_readv', 'process_vm_writev'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];

/** The default filter for a container holding `caps`: what they allow is not denied. */
export function defaultSeccomp(caps: string[] = []): Record<string, unknown> {
  const allowed = new Set(caps.flatMap((c) => ALLOWED_BY_CAP[c] ?? []));
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ARCHES,
    syscalls: [{ names: DENIED.filter((n) => !allowed.has(n)), action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}

interface ProfileRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: unknown[];
  includes?: { caps?: string[]; arches?: string[] };
  excludes?: { caps?: string[]; arches?: string[] };
}

interface Profile {
  defaultAction?: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls?: ProfileRule[];
}

/**
 * `--security-opt seccomp=FILE.json`: a profile in docker's format (archMap, includes/excludes
 * by capability) or already in the OCI runtime's, turned into what runc takes. The CLI sends
 * the file's content, as docker's does, so the Engine API gets the same.
 */
export function seccompFromProfile(json: string, caps: string[]): Record<string, unknown> {
  let p: Profile;
  try {
    p = JSON.parse(json) as Profile;
  } catch (e) {
    throw new InvalidArgumentError(`decoding seccomp profile failed: ${(e as Error).message}`);
  }
  if (!p || typeof p !== 'object' || typeof p.defaultAction !== 'string') {
    throw new InvalidArgumentError('decoding seccomp profile failed: it has no defaultAction');
  }
  const arches = p.archMap?.length
    ? p.archMap.flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])])
    : p.architectures ?? ARCHES;
  const applies = (r: ProfileRule): boolean => {
    if (r.includes?.caps && !r.includes.caps.every((c) => caps.includes(c))) return false;
    if (r.excludes?.caps && r.excludes.caps.some((c) => caps.includes(c))) return false;
    if (r.includes?.arches && !r.includes.arches.includes('amd64')) return false;
    if (r.excludes?.arches?.includes('amd64')) return false;
    return true;
  };
  const syscalls = (p.syscalls ?? []).filter(applies).map((r) => ({
    names: r.names ?? (r.name ? [r.name] : []),
    action: r.action,
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...(r.args?.length ? { args: r.args } : {}),
  }));
  return {
    defaultAction: p.defaultAction,
    ...(p.defaultErrnoRet !== undefined ? { defaultErrnoRet: p.defaultErrnoRet } : {}),
    architectures: arches,
    syscalls,
  };
}
