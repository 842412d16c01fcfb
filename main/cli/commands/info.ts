import type { Command } from 'commander';

/** `slipway info`: the store, the mount driver (and why), the runtime, counts. */
export function registerInfoCommands(program: Command): void {
  program
    .command('info')
    .description('Display system-wide information')
    .option('-f, --format <format>', 'format output using a Go template')
    .action(async (o: { format?: string }) => (await import('../actions/info.js')).info(o));
}
