// The `slipway` CLI entry: docker-compatible verbs. Each verb's code is imported only when
// it runs, so `slipway run` does not pay for the builder, the registry or the UI.
// Nothing is imported statically (the engine's face loads most of the engine): `--version`
// answers before any of it loads.
import { VERSION } from './version.js';
import { writeOut } from './stdout.js';

async function main(): Promise<void> {
  const entryAt = process.uptime() * 1000;
  // Scripts ask for the version to check the tool is there: answer without the command tree.
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    writeOut(`${VERSION}\n`);
    return;
  }
  const { reexecInRootlessNamespaceIfNeeded, trace, traceBegin, traceMark, tracing } = await import('../engine/index.js');
  traceMark('node start -> CLI entry', entryAt);
  traceMark('node start -> engine loaded');
  // An ordinary user's command runs again inside the rootless namespaces (main/engine/rootless).
  if (process.getuid?.() !== 0 && !process.env.SLIPWAY_USERNS) await reexecInRootlessNamespaceIfNeeded();
  // Loaded after that check: the re-executing parent never needs the command tree.
  const program = await trace('load + build the command tree', async () => (await import('./program.js')).buildProgram(args));
  if (tracing) {
    let endVerb = (): void => {};
    program.hook('preAction', (_root, cmd) => {
      endVerb = traceBegin(`verb ${cmd.parent && cmd.parent !== program ? `${cmd.parent.name()} ` : ''}${cmd.name()}`);
    });
    program.hook('postAction', () => endVerb());
  }
  await program.parseAsync(process.argv);
}

main().catch(async (e: unknown) => (await import('./output.js')).reportAndExit(e));
