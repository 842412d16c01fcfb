// A child process that runs one of the app's long tasks (task-ops.ts) against the store and
// reports back over the IPC channel (engine/child-op.ts: progress, then done or failed). The
// Engine API's build, pull and load have a child of their own (api/api-child.ts). It owns its own
// Engine (SQLite in WAL mode takes the parent and the child at once), so the parent's event
// loop stays free and the memory the work grows goes when the child ends.
import { serveChildOps } from '../engine/index.js';
import { taskOps } from './task-ops.js';

serveChildOps(taskOps);
