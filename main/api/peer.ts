import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The groups of a live process (its gid and supplementary groups), from /proc. */
function groupsOf(pid: number): number[] {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
    const sup = /^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '';
    return [...(gid ? [Number(gid)] : []), ...sup.split(/\s+/).filter(Boolean).map(Number)];
  } catch {
    return [];
  }
}

/** The fd under a connected net.Socket (Node keeps it on the libuv handle). */
function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * The peer-credential check on the unix socket. The socket's mode already keeps others out;
 * this is the second lock, as the socket is root on this machine: the caller must be root,
 * us, or a member of the socket's group (`slipway`, as dockerd's `docker`). A refusal is
 * one line naming who was refused and what to do.
 */
export function peerCheck(peercred: (fd: number) => PeerCredentials, opts: { uid: number; group?: number }): (socket: Socket) => string | undefined {
  return (socket) => {
    const fd = socketFd(socket);
    if (fd === undefined) return 'cannot read the credentials of this connection';
    let cred: PeerCredentials;
    try {
      cred = peercred(fd);
    } catch (e) {
      return `cannot read the credentials of this connection: ${(e as Error).message}`;
    }
    if (cred.uid === 0 || cred.uid === opts.uid) return undefined;
    if (opts.group !== undefined && (cred.gid === opts.group || groupsOf(cred.pid).includes(opts.group))) return undefined;
    return `permission denied: uid ${cred.uid} may not use this Slipway socket (it is for root${opts.group !== undefined ? ' and the slipway group' : ''}; add the user to the group or use its own rootless service)`;
  };
}
