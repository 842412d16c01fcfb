// A child process that runs one long operation against the store and reports back over the
// IPC channel (engine/child-op.ts: progress, then done or failed): the app's tasks
// (task-ops.ts) and the Engine API's build, pull and load (api/child-ops.ts). It owns its own
// Engine (SQLite in WAL mode takes the parent and the child at once), so the parent's event
// loop stays free and the memory the work grows goes when the child ends.
import { serveChildOps } from '../engine/index.js';
import { apiChildOps } from '../api/child-ops.js';
import { taskOps } from './task-ops.js';

serveChildOps({ ...taskOps, ...apiChildOps });
