import { Command } from 'commander';
import { VERSION } from './version.js';
import { setVerb } from './exit-codes.js';
import { registerImageCommands } from './commands/images.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerInfoCommands } from './commands/info.js';
import { registerSystemCommands } from './commands/system.js';
import { registerBuildCommands } from './commands/build.js';
import { registerUiCommands } from './commands/ui.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerRootlessCommands } from './commands/rootless.js';
import { registerNetworkCommands } from './commands/network.js';

/**
 * The command tree. Each commands/*.ts file only declares verbs and flags; their actions
 * import the engine lazily. Add a new area by writing commands/<area>.ts and one line here.
 */
export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('Slipway: build, run and commit containers on your own machine (docker-compatible CLI)')
    .version(VERSION, '-v, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') })
    .exitOverride()
    // `container create` is create; `network create` (and volume create) are verbs of their own
    .hook('preAction', (program, action) => {
      const parent = action.parent;
      setVerb(parent && parent !== program && parent.name() !== 'container' ? `${parent.name()} ${action.name()}` : action.name());
    });
  registerImageCommands(program);
  registerContainerCommands(program);
  registerInfoCommands(program);
  registerSystemCommands(program);
  registerBuildCommands(program);
  registerUiCommands(program);
  registerRegistryCommands(program);
  registerRootlessCommands(program);
  registerNetworkCommands(program);
  return program;
}

/** Collect a repeatable flag (-e A -e B) into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
