import type { Command } from 'commander';
import { trace } from '../../engine/index.js';
import { collect } from '../program.js';

const act = () => trace('load the verb\'s code', () => import('../actions/system.js'));

/** `system df | prune | check | service`. */
export function registerSystemCommands(program: Command): void {
  const system = program.command('system').description('Manage Slipway');
  system
    .command('df')
    .description('Show disk usage')
    .option('-v, --verbose', 'show detailed information on space usage')
    .option('--format <format>', 'format output using a Go template')
    .action(async (o) => (await act()).df(o));
  system
    .command('prune')
    .description('Remove unused data: stopped containers and dangling images (-a: all unused images)')
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "label=<key>=<value>", "until=24h")', collect, [])
    .action(async (o) => (await act()).systemPrune(o));
  system
    .command('restore')
    .description('Start the containers with restart policy always or unless-stopped that are not running (as dockerd at boot)')
    .action(async () => (await act()).restore());
  system
    .command('check')
    .description('Verify blobs, snapshots and metadata; report (or --repair) problems')
    .option('--repair', 'delete orphans and temp files, drop rows whose content is gone')
    .action(async (o) => (await act()).check(o));
  system
    .command('service [address]')
    .description('Serve the Docker Engine API (docker, docker-compose, SDKs) on a unix socket, or tcp://[HOST]:PORT when asked; prints the DOCKER_HOST line first')
    .option('--socket <path>', 'unix socket to listen on (default: /run/slipway/docker.sock, or $XDG_RUNTIME_DIR/slipway/docker.sock rootless)')
    .option('-t, --time <seconds>', 'exit after this many seconds without a connection; 0 = never', '5')
    .action(async (address: string | undefined, o: { socket?: string; time: string }) => {
      const { serviceAction } = await import('../actions/service.js');
      await serviceAction(address, o);
    });
}
