import type { Command } from 'commander';
import { collect } from '../program.js';

const act = () => import('../actions/network.js');

/** `slipway port` (and `container port`), and docker's `network` verbs. */
export function registerNetworkCommands(program: Command): void {
  const define = (c: Command) =>
    c
      .description('List port mappings or a specific mapping for the container')
      .argument('<container>')
      .argument('[private_port]', 'PRIVATE_PORT[/PROTO]')
      .action(async (name: string, priv: string | undefined) => (await act()).port(name, priv));
  define(program.command('port'));
  const container = program.commands.find((c) => c.name() === 'container');
  if (container) define(container.command('port'));

  const network = program.command('network').description('Manage networks');
  network
    .command('create')
    .description('Create a network')
    .argument('<network>')
    .option('-d, --driver <driver>', 'driver to manage the network', 'bridge')
    .option('--subnet <CIDR>', 'subnet in CIDR format that represents a network segment', collect, [])
    .option('--gateway <IP>', 'IPv4 gateway for the master subnet', collect, [])
    .option('--ip-range <CIDR>', 'allocate container IPs from a sub-range', collect, [])
    .option('--internal', 'restrict external access to the network')
    .option('--attachable', 'enable manual container attachment')
    .option('--ipv6', 'enable IPv6 networking')
    .option('--label <KEY=VALUE>', 'set metadata on a network', collect, [])
    .option('-o, --opt <KEY=VALUE>', 'set driver specific options', collect, [])
    .option('--ipam-driver <driver>', 'IP address management driver', 'default')
    .option('--ipam-opt <KEY=VALUE>', 'set IPAM driver specific options', collect, [])
    .option('--aux-address <NAME=IP>', 'auxiliary IPv4 addresses used by the network driver', collect, [])
    .option('--scope <scope>', "control the network's scope")
    .option('--config-only', 'create a configuration only network')
    .option('--config-from <network>', 'the network from which to copy the configuration')
    .option('--ingress', 'create swarm routing-mesh network')
    .action(async (name: string, o) => (await act()).create(name, o));
  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-f, --filter <filter>', 'provide filter values (e.g. "driver=bridge")', collect, [])
    .option('--format <format>', 'format output using a Go template, or json')
    .option('--no-trunc', 'do not truncate the output')
    .option('-q, --quiet', 'only display network IDs')
    .action(async (o) => (await act()).ls(o));
  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>')
    .option('-f, --format <format>', 'format output using a Go template, or json')
    .option('-v, --verbose', 'verbose output for diagnostics')
    .action(async (names: string[], o) => (await act()).inspect(names, o));
  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>')
    .option('-f, --force', 'do not error if the network does not exist')
    .action(async (names: string[], o) => (await act()).rm(names, o));
  network
    .command('prune')
    .description('Remove all unused networks')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (e.g. "until=<timestamp>")', collect, [])
    .action(async (o) => (await act()).prune(o));
  network
    .command('connect')
    .description('Connect a container to a network')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <alias>', 'add network-scoped alias for the container', collect, [])
    .option('--ip <address>', 'IPv4 address (e.g., 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address (e.g., 2001:db8::33)')
    .option('--link <container>', 'add link to another container', collect, [])
    .option('--link-local-ip <address>', 'add a link-local address for the container', collect, [])
    .option('--driver-opt <KEY=VALUE>', 'driver options for the network', collect, [])
    .action(async (net: string, ctr: string, o) => (await act()).connect(net, ctr, o));
  network
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>')
    .argument('<container>')
    .option('-f, --force', 'force the container to disconnect from a network')
    .action(async (net: string, ctr: string, o) => (await act()).disconnect(net, ctr, o));
}
