// The `slipway` CLI entry: docker-compatible verbs. Each verb's code is imported only when
// it runs, so `slipway run` does not pay for the builder, the registry or the UI.
import { buildProgram } from './program.js';
import { reportAndExit } from './output.js';

// An ordinary user's command runs again inside the rootless namespaces (main/engine/rootless).
if (process.getuid?.() !== 0 && !process.env.SLIPWAY_USERNS) {
  const { needsNamespace, reexecInNamespace } = await import('../engine/rootless/reexec.js');
  if (needsNamespace()) await reexecInNamespace().catch(reportAndExit);
}
const program = buildProgram();
program.parseAsync(process.argv).catch(reportAndExit);
