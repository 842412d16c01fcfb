import type { Command } from 'commander';
import { trace } from '../../engine/index.js';
import { collect } from '../program.js';

const act = () => trace('load the verb\'s code', () => import('../actions/build.js'));

/** `slipway build` (docker's flags), `slipway builder prune` and `slipway builder du`. */
export function registerBuildCommands(program: Command): void {
  const defineBuild = (c: Command): void => {
    c.description('Build an image from a Dockerfile')
      .argument('<context>', 'context directory, or - to read a Dockerfile from STDIN with an empty context')
      .option('-t, --tag <name>', 'name and optionally a tag (name:tag); repeatable', collect, [])
      .option('-f, --file <file>', 'name of the Dockerfile (default: CONTEXT/Dockerfile); - reads it from STDIN')
      .option('--build-arg <arg>', 'set a build-time variable K=V (K alone takes it from the environment); repeatable', collect, [])
      .option('--target <stage>', 'build this stage (and what it needs) and stop')
      .option('--no-cache', 'do not use the build cache')
      .option('--label <label>', 'set metadata K=V on the image; repeatable', collect, [])
      .option('--network <mode>', 'network for RUN steps: host (default) or none')
      .option('--progress <mode>', 'progress output: auto, plain or tty', 'auto')
      .option('-q, --quiet', 'print only the image ID')
      .option('--iidfile <file>', 'write the image ID to the file')
      .option('--secret <spec>', 'a secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR; repeatable', collect, [])
      .option('--ssh <spec>', 'an SSH agent for RUN --mount=type=ssh: default or ID=SOCKET|KEY[,KEY]; repeatable', collect, [])
      .option('--platform <platform>', 'target platform os/arch[/variant] (default: this machine)')
      .option('-o, --output <output>', 'where the result goes: DIR or type=local,dest=DIR, - or type=tar,dest=FILE, type=image (default)', collect, [])
      .option('--metadata-file <file>', 'write the build result metadata (BuildKit\'s JSON) to the file')
      .option('--cache-from <source>', 'external cache: type=local,src=DIR or IMAGE (its inline cache); repeatable', collect, [])
      .option('--cache-to <dest>', 'export the cache: type=local,dest=DIR[,mode=min|max] or type=inline; repeatable', collect, [])
      .option('--allow <entitlement>', 'allow extra privileges: security.insecure (RUN --security=insecure), network.host; repeatable', collect, [])
      .action(async (context: string, o) => (await act()).build(context, o));
  };
  defineBuild(program.command('build'));
  const builder = program.command('builder').description('Manage the build cache');
  defineBuild(builder.command('build'));
  builder
    .command('prune')
    .description('Remove build cache')
    .option('-a, --all', 'remove all unused build cache, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <filter>', 'provide filter values (type=regular|exec.cachemount, id=PREFIX, until=24h); repeatable', collect, [])
    .action(async (o) => (await act()).prune(o));
  builder
    .command('du')
    .description('Disk usage of the build cache')
    .option('--filter <filter>', 'provide filter values (type=..., id=...); repeatable', collect, [])
    .option('--verbose', 'print every record in full')
    .action(async (o) => (await act()).du(o));
}
