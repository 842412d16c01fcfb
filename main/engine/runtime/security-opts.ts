import { InvalidArgumentError } from '../model/errors.js';
import { existsSync, readdirSync } from 'node:fs';

/** What HostConfig.SecurityOpt asks for, parsed. */
export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** 'default', 'unconfined', or a profile's JSON text (the CLI reads the file, as docker's does) */
  seccomp: string;
  apparmor?: string;
  label: string[];
  /** systempaths=unconfined: no masked or read-only /proc and /sys paths */
  unmaskedPaths: boolean;
}

function bool(opt: string, v: string, n: number): boolean {
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw new InvalidArgumentError(`invalid --security-opt ${n}: "${opt}"`);
}

/**
 * HostConfig.SecurityOpt entries: no-new-privileges[=bool], seccomp=unconfined|<profile JSON>,
 * apparmor=PROFILE, label=..., systempaths=unconfined; `key:value` is accepted too (docker's
 * old form). Docker's words for anything else.
 */
export function parseSecurityOpts(list: string[] | null | undefined): SecurityOptions {
  const o: SecurityOptions = { noNewPrivileges: false, seccomp: 'default', label: [], unmaskedPaths: false };
  for (const opt of list ?? []) {
    if (opt === 'no-new-privileges') {
      o.noNewPrivileges = true;
      continue;
    }
    const m = /^([a-z-]+)[=:]([\s\S]*)$/.exec(opt);
    if (!m) throw new InvalidArgumentError(`Invalid --security-opt: "${opt}"`);
    const [, key, value] = m as unknown as [string, string, string];
    switch (key) {
      case 'no-new-privileges':
        o.noNewPrivileges = bool(opt, value, 2);
        break;
      case 'seccomp':
        o.seccomp = value === 'unconfined' || value === 'default' ? value : value.trim();
        if (!o.seccomp) throw new InvalidArgumentError(`Invalid --security-opt: "${opt}"`);
        break;
      case 'apparmor':
        o.apparmor = value;
        break;
      case 'label':
        o.label.push(value);
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw new InvalidArgumentError(`invalid --security-opt 2: "${opt}"`);
        o.unmaskedPaths = true;
        break;
      default:
        throw new InvalidArgumentError(`Invalid --security-opt: "${opt}"`);
    }
  }
  return o;
}

/** Whether the host runs AppArmor / SELinux: without them those options can only be ignored. */
export function hostLsm(): { apparmor: boolean; selinux: boolean } {
  let apparmor = existsSync('/sys/kernel/security/apparmor');
  try {
    apparmor ||= readdirSync('/sys/module').includes('apparmor') && existsSync('/sys/module/apparmor/parameters/enabled');
  } catch {
    // no sysfs
  }
  return { apparmor, selinux: existsSync('/sys/fs/selinux/enforce') };
}

/** The warnings `create` prints for security options this host cannot apply. */
export function lsmWarnings(o: SecurityOptions): string[] {
  const lsm = hostLsm();
  const out: string[] = [];
  if (o.apparmor !== undefined && !lsm.apparmor) out.push(`WARNING: this host has no AppArmor: --security-opt apparmor=${o.apparmor} is ignored`);
  for (const l of o.label) if (!lsm.selinux) out.push(`WARNING: this host has no SELinux: --security-opt label=${l} is ignored`);
  return out;
}
