import type { Command } from 'commander';
import { InvalidArgumentError } from '../../engine/index.js';

/** `--tls-verify`, `--tls-verify=false`, `--tls-verify=true`, as podman spells it. */
export function parseTlsVerify(v: string | boolean | undefined): boolean | undefined {
  if (v === undefined || v === true) return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'false' || s === '0') return false;
    if (s === 'true' || s === '1' || s === '') return true;
  }
  throw new InvalidArgumentError(`--tls-verify takes true or false, not "${String(v)}"`);
}

const TLS_HELP = 'require https with a verified certificate (default: yes, except loopback and configured insecure registries); =false allows http';

export function registerRegistryCommands(program: Command): void {
  program
    .command('pull')
    .description('Download an image from a registry')
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .option('--platform <os/arch[/variant]>', 'the platform to pull from a multi-platform image (default: linux/<host arch>)')
    .option('-q, --quiet', 'print only the image name')
    .option('--tls-verify [bool]', TLS_HELP)
    .action(async (name: string, opts: { platform?: string; quiet?: boolean; tlsVerify?: string | boolean }) => {
      const { pullAction } = await import('../actions/registry.js');
      await pullAction(name, { platform: opts.platform, quiet: opts.quiet, tlsVerify: parseTlsVerify(opts.tlsVerify) });
    });
  program
    .command('push')
    .description('Upload an image to a registry')
    .argument('<name>', 'NAME[:TAG]')
    .option('-q, --quiet', 'print nothing but errors and the pushed name')
    .option('--tls-verify [bool]', TLS_HELP)
    .action(async (name: string, opts: { quiet?: boolean; tlsVerify?: string | boolean }) => {
      const { pushAction } = await import('../actions/registry.js');
      await pushAction(name, { quiet: opts.quiet, tlsVerify: parseTlsVerify(opts.tlsVerify) });
    });
  program
    .command('login')
    .description('Log in to a registry (credentials go to ~/.config/slipway/auth.json, or $DOCKER_CONFIG/config.json)')
    .argument('[registry]', 'registry host[:port]', 'docker.io')
    .option('-u, --username <name>', 'username')
    .option('-p, --password <password>', 'password (prefer --password-stdin: a password on the command line is visible to other users)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--tls-verify [bool]', TLS_HELP)
    .action(async (registry: string, opts: { username?: string; password?: string; passwordStdin?: boolean; tlsVerify?: string | boolean }) => {
      const { loginAction } = await import('../actions/registry.js');
      await loginAction(registry, { ...opts, tlsVerify: parseTlsVerify(opts.tlsVerify) });
    });
  program
    .command('logout')
    .description('Remove the stored credentials for a registry')
    .argument('[registry]', 'registry host[:port]', 'docker.io')
    .action(async (registry: string) => {
      const { logoutAction } = await import('../actions/registry.js');
      logoutAction(registry);
    });
}
