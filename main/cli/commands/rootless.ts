import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { EngineError, ErrorCode, isRootless } from '../../engine/index.js';

/**
 * `slipway unshare [CMD...]`: run a command inside the rootless namespaces (as podman unshare
 * does), e.g. to remove store files owned by subordinate ids. The CLI entry has already
 * re-executed itself into them, so this only runs the command.
 */
export function registerRootlessCommands(program: Command): void {
  program
    .command('unshare')
    .description('Run a command in the rootless user and mount namespace (default: your shell)')
    .argument('[command...]', 'command and arguments')
    .passThroughOptions()
    .action(async (cmd: string[]) => {
      if (!isRootless()) throw new EngineError(ErrorCode.SYSTEM, 'unshare is for rootless mode: as root there is no user namespace to enter');
      const argv = cmd.length ? cmd : [process.env.SHELL || '/bin/sh'];
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      const code = await new Promise<number>((resolve) => {
        child.once('error', (e) => {
          process.stderr.write(`Error: cannot run ${argv[0]}: ${e.message}\n`);
          resolve(127);
        });
        child.once('exit', (c, sig) => resolve(c ?? (sig ? 128 + 15 : 1)));
      });
      process.exit(code);
    });
}
