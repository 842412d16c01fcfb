import type { Command } from 'commander';

/** `slipway ui` (the web bridge) and `slipway app` (Electron, or the web bridge where Electron is missing). */
export function registerUiCommands(program: Command): void {
  program
    .command('ui')
    .description('Serve the Slipway app to a browser on 127.0.0.1 (prints the URL, with its access token, first)')
    .option('-p, --port <port>', 'port to listen on (default: a free one)', (v) => Number.parseInt(v, 10))
    .option('--address <addr>', 'address to listen on', '127.0.0.1')
    .option('--host', 'allow listening on a non-loopback address (defaults --address to 0.0.0.0)')
    .option('--no-open', 'do not open a browser')
    .option('--api-socket <address>', 'where to serve the Docker Engine API while the app runs (unix:///PATH or PATH; default: the service\'s socket); the "Serve the Docker Engine API" setting turns it off')
    .action(async (opts: { port?: number; address: string; host?: boolean; open: boolean; apiSocket?: string }, cmd: Command) => {
      const { runUi } = await import('../../server/launch.js');
      const address = opts.host && cmd.getOptionValueSource('address') === 'default' ? '0.0.0.0' : opts.address;
      await runUi({ port: opts.port, address, allowRemote: Boolean(opts.host), open: opts.open, apiSocket: opts.apiSocket });
    });
  program
    .command('app')
    .description('Start the desktop app (Electron); where Electron is not installed, start `slipway ui` instead')
    .option('--no-open', 'with the web fallback: do not open a browser')
    .action(async (opts: { open: boolean }) => {
      const { runApp } = await import('../../server/launch.js');
      await runApp({ open: opts.open });
    });
}
