// The `slipway` CLI entry: docker-compatible verbs. Each verb's code is imported only when
// it runs, so `slipway run` does not pay for the builder, the registry or the UI.
import { reportAndExit } from './output.js';

// An ordinary user's command runs again inside the rootless namespaces (main/engine/rootless).
if (process.getuid?.() !== 0 && !process.env.SLIPWAY_USERNS) {
  const { needsNamespace, reexecInNamespace } = await import('../engine/rootless/reexec.js');
  if (needsNamespace()) await reexecInNamespace().catch(reportAndExit);
}
// Loaded after that check: the re-executing parent never needs the command tree.
const { buildProgram } = await import('./program.js');
const program = buildProgram();
program.parseAsync(process.argv).catch(reportAndExit);
