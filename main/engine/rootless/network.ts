import { accessSync, constants } from 'node:fs';
import { InvalidArgumentError } from '../model/errors.js';
import { isRootless } from './detect.js';

export const TUN = '/dev/net/tun';

/** pasta needs to open /dev/net/tun; rootless that takes a world-usable node (mode 0666, Debian's default). */
export function tunUsable(path = TUN): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The network a rootless container gets. The default network (pasta) when /dev/net/tun is
 * usable; otherwise a plain default quietly becomes `none` (loopback only, as docker's
 * rootless mode without slirp), while an explicit pasta network or published ports fail
 * saying why and what to do.
 */
export function rootlessNetworkMode<M extends string>(mode: M | 'none', asked: { network?: string; published: boolean }): M | 'none' {
  if (mode !== 'pasta' || !isRootless() || tunUsable()) return mode;
  // docker's clients send "default" when the user named no network: that is not explicit
  const explicit = !['', 'default'].includes((asked.network ?? '').trim());
  if (!explicit && !asked.published) return 'none';
  throw new InvalidArgumentError(`${asked.published ? 'publishing ports' : `--network ${asked.network}`} needs the pasta network, and rootless pasta needs ${TUN}, which this user cannot open: ` +
      `ask root to run \`chmod 0666 ${TUN}\` (the usual mode), or use --network none or host`);
}
