/**
 * The engine's one face (issue 9): the only module main/cli, main/server, main/app and main/api
 * import from the engine.
 */
export { Engine, openEngine } from './engine.js';
export { isRootless } from './rootless/detect.js';
export { runtimeDir } from './rootless/pause.js';
export { peerCredentials } from './util/native.js';
export { systemInfo, systemVersion, SLIPWAY_VERSION, type SystemInfo } from './views/system-info.js';
