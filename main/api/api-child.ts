// The Engine API's child process: one build, pull or load (child-ops.ts) against the store,
// reported back over the IPC channel (engine/child-op.ts), so what the work grows goes back to
// the system when it ends instead of staying in the long-lived service.
import { serveChildOps } from '../engine/index.js';
import { apiChildOps } from './child-ops.js';

serveChildOps(apiChildOps);
