import type { Engine } from '../engine/index.js';
import type { ExecSessions } from './routes/exec.js';

/**
 * What the routes reach: the engine (through its one face) and the service's own state that
 * lives as long as the service (exec sessions made by exec create, waiting for exec start).
 */
export interface ApiServices {
  engine: Engine;
  /** the store root, for /info's DockerRootDir */
  root: string;
  execs: ExecSessions;
}
