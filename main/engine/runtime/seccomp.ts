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

export function defaultSeccomp(): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: DENIED, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}
