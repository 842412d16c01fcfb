import type { Command } from 'commander';
import { collect } from '../program.js';

const act = () => import('../actions/volume.js');

/** docker's `volume` verbs: create, ls, inspect, rm, prune. */
export function registerVolumeCommands(program: Command): void {
  const volume = program.command('volume').description('Manage volumes');
  volume
    .command('create')
    .description('Create a volume')
    .argument('[name]')
    .option('-d, --driver <name>', 'specify volume driver name', 'local')
    .option('--name <name>', 'specify volume name')
    .option('--label <KEY=VALUE>', 'set metadata for a volume', collect, [])
    .option('-o, --opt <KEY=VALUE>', 'set driver specific options (type, device, o)', collect, [])
    .action(async (name: string | undefined, o) => (await act()).create(name, o));
  volume
    .command('ls')
    .alias('list')
    .description('List volumes')
    .option('-f, --filter <filter>', 'provide filter values (e.g. dangling=true, label=K, name=N, driver=local)', collect, [])
    .option('--format <format>', 'format output using a custom template: table, table TEMPLATE, json, TEMPLATE')
    .option('-q, --quiet', 'only display volume names')
    .action(async (o) => (await act()).ls(o));
  volume
    .command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<volume...>')
    .option('-f, --format <format>', 'format output using a custom template')
    .action(async (names: string[], o) => (await act()).inspect(names, o));
  volume
    .command('rm')
    .alias('remove')
    .description('Remove one or more volumes. You cannot remove a volume that is in use by a container.')
    .argument('<volume...>')
    .option('-f, --force', 'force the removal of one or more volumes')
    .action(async (names: string[], o) => (await act()).rm(names, o));
  volume
    .command('prune')
    .description('Remove unused local volumes')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', "provide filter values (e.g. 'label=<label>')", collect, [])
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (o) => (await act()).prune(o));
}
