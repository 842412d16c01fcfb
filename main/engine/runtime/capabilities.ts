import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../model/errors.js';

/** Linux capabilities by number (capability.h), up to CAP_CHECKPOINT_RESTORE (40). */
const BY_NUMBER = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default capability set: what a container may do as root without --cap-add. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

let all: string[] | undefined;

/** A capability mask from /proc/self/status (CapBnd, CapEff), or undefined without procfs. */
function ownMask(field: 'CapBnd' | 'CapEff'): bigint | undefined {
  try {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex ? BigInt(`0x${hex}`) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every capability a container can be given here (docker's GetAllCapabilities): those the
 * kernel has and this process may hand on (its bounding set: a root without CAP_SYS_RESOURCE
 * cannot give it away, and runc would fail applying it).
 */
export function allCapabilities(): string[] {
  if (!all) {
    const bounding = ownMask('CapBnd');
    all = BY_NUMBER.filter((_, n) => bounding === undefined || ((bounding >> BigInt(n)) & 1n) === 1n);
  }
  return all;
}

/** net_admin, NET_ADMIN and CAP_NET_ADMIN are one capability; ALL stays ALL. */
export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  return up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** --cap-add / --cap-drop values, checked as docker's daemon does ("invalid CapAdd: unknown capability: ..."). */
export function checkCapabilities(list: string[] | null | undefined, field: 'CapAdd' | 'CapDrop'): string[] {
  const out: string[] = [];
  for (const raw of list ?? []) {
    const c = normalizeCapability(raw);
    if (c !== 'ALL' && !BY_NUMBER.includes(c)) throw new InvalidArgumentError(`invalid ${field}: unknown capability: "${c}"`);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/**
 * The container's capability set (docker's TweakCapabilities): --privileged is every
 * capability; ALL in --cap-add starts from every one, ALL in --cap-drop from none; otherwise
 * docker's defaults, less the drops, plus the adds.
 */
export function effectiveCapabilities(h: { CapAdd?: string[] | null; CapDrop?: string[] | null; Privileged?: boolean }): string[] {
  const everyCap = allCapabilities();
  if (h.Privileged) return [...everyCap];
  const adds = checkCapabilities(h.CapAdd, 'CapAdd');
  const drops = checkCapabilities(h.CapDrop, 'CapDrop');
  let caps: string[];
  if (adds.includes('ALL')) caps = everyCap.filter((c) => !drops.includes(c));
  else {
    const base = drops.includes('ALL') ? [] : DEFAULT_CAPS.filter((c) => !drops.includes(c));
    caps = [...base, ...adds.filter((c) => !base.includes(c))];
  }
  return caps.filter((c) => everyCap.includes(c)); // runc refuses what the kernel lacks
}

/** Whether this process holds `cap` in its effective set (/proc/self/status CapEff). */
export function hasCapability(cap: string): boolean {
  const n = BY_NUMBER.indexOf(cap);
  const eff = ownMask('CapEff');
  return n >= 0 && eff !== undefined && ((eff >> BigInt(n)) & 1n) === 1n;
}
