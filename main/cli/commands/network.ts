import type { Command } from 'commander';

/** `slipway port` (and `container port`): a container's published ports, as docker prints them. */
export function registerNetworkCommands(program: Command): void {
  const define = (c: Command) =>
    c
      .description('List port mappings or a specific mapping for the container')
      .argument('<container>')
      .argument('[private_port]', 'PRIVATE_PORT[/PROTO]')
      .action(async (name: string, priv: string | undefined) => (await import('../actions/network.js')).port(name, priv));
  define(program.command('port'));
  const container = program.commands.find((c) => c.name() === 'container');
  if (container) define(container.command('port'));
}
