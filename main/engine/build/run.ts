import type { Engine } from '../engine.js';
import { SlipwayError } from '../errors.js';

/**
 * RUN: one container per step through the engine's runtime path (the same OCI spec
 * generator and overlay mount code as `slipway run`), runc in the foreground, its output
 * streamed to progress. The step's overlay upper dir becomes the layer and the snapshot.
 */
export interface RunStepOptions {
  /** snapshot dirs of the state, bottom first */
  lowerDirs: string[];
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  network: 'host' | 'none';
  /** where the upper dir must be created (becomes the snapshot) */
  upperDir: string;
  onOutput: (stream: 'stdout' | 'stderr', text: string) => void;
  signal?: AbortSignal;
}

export async function runStep(engine: Engine, o: RunStepOptions): Promise<void> {
  void engine;
  void o;
  throw new SlipwayError('RUN needs the container runtime, which this build of slipway does not have yet');
}
