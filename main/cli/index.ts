// The `slipway` CLI entry: docker-compatible verbs. Each verb's code is imported only when
// it runs, so `slipway run` does not pay for the builder, the registry or the UI.
import { buildProgram } from './program.js';
import { reportAndExit } from './output.js';

const program = buildProgram();
program.parseAsync(process.argv).catch(reportAndExit);
