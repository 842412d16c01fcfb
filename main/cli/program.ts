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
import { registerVolumeCommands } from './commands/volume.js';

/** Each area's commands/*.ts registration. */
export const AREAS = {
  images: registerImageCommands,
  containers: registerContainerCommands,
  info: registerInfoCommands,
  system: registerSystemCommands,
  build: registerBuildCommands,
  ui: registerUiCommands,
  registry: registerRegistryCommands,
  rootless: registerRootlessCommands,
  network: registerNetworkCommands,
  volume: registerVolumeCommands,
};
export type Area = keyof typeof AREAS;

/**
 * The area that declares each top-level word, so a command builds only its own area's verbs
 * and flags (commander builds every option object up front: the whole tree costs several
 * times one area). A word not listed here builds the whole tree, so a missing entry only
 * costs time; test/unit/cli/program.test.ts keeps this list equal to what the areas declare.
 * Groups other areas add to (`container`: network adds `container port`) are not listed.
 */
export const VERB_AREAS: Readonly<Record<string, Area>> = {
  image: 'images', load: 'images', save: 'images', import: 'images', images: 'images', inspect: 'images', history: 'images', tag: 'images', rmi: 'images',
  attach: 'containers', cp: 'containers', create: 'containers', run: 'containers', start: 'containers', stop: 'containers', kill: 'containers', restart: 'containers', wait: 'containers', pause: 'containers', unpause: 'containers', rm: 'containers', ps: 'containers', logs: 'containers', exec: 'containers', diff: 'containers', top: 'containers', rename: 'containers', stats: 'containers', export: 'containers', commit: 'containers', events: 'containers', 'container-cleanup': 'containers', 'container-health': 'containers', update: 'containers',
  info: 'info',
  system: 'system',
  build: 'build', builder: 'build',
  ui: 'ui', app: 'ui',
  pull: 'registry', push: 'registry', login: 'registry', logout: 'registry',
  unshare: 'rootless',
  port: 'network', network: 'network',
  volume: 'volume',
};

/**
 * The command tree. Each commands/*.ts file only declares verbs and flags; their actions
 * import the engine lazily. Add a new area by writing commands/<area>.ts and a line in AREAS.
 * With `argv` (the arguments after node and the script), only the area of its first word.
 */
export function buildProgram(argv?: string[]): Command {
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
  const only = argv?.[0] !== undefined ? VERB_AREAS[argv[0]] : undefined;
  for (const [area, register] of Object.entries(AREAS)) if (!only || area === only) register(program);
  return program;
}

/** Collect a repeatable flag (-e A -e B) into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
