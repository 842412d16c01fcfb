/**
 * The engine's public face: the only module that main/cli, main/server, main/app and main/api
 * import from the engine (test/unit/engine/face.test.ts fails the build otherwise). Whatever a
 * door needs is exported here, so a change inside the engine never reaches past this file.
 *
 * What is heavy (the builder, the registry client, layer unpacking for load/import/seed, the
 * rootless re-exec) is loaded on first call: a CLI verb still pays only for what it uses.
 */

// --- errors and shapes ---------------------------------------------------------------------
export {
  EngineError,
  ErrorCode,
  NotFoundError,
  ConflictError,
  InvalidArgumentError,
  isEngineError,
  errorMessage,
  type ErrorDetail,
  type ProcessCause,
} from './model/errors.js';

// --- the engine and its stores ---------------------------------------------------------------
export { Engine, openEngine } from './engine.js';
export type { ImageRecord } from './image/images.js';
export type { ContainerRecord, LogConfig } from './container/types.js';
export type {
  ContainerCreateSpec,
  CreateConfig,
  CreateHostConfig,
  NetworkingConfig,
  EndpointSettings,
  Mount,
  HealthConfig,
} from './model/container-spec.js';
export type { Volume, VolumeCreateBody, VolumeListResponse, VolumePruneReport, MountPoint } from './volume/types.js';
export { ANONYMOUS_LABEL } from './services/volumes.js';
export { DEFAULT_HOST_IP } from './network/options.js';
export type { PortBinding, PortMap, Proto } from './network/types.js';
export { ImageNotFoundError } from './container/manager.js';

// --- images ------------------------------------------------------------------------------------
export { familiarName, splitRepoTag, parseReference, referenceProblem, isReference, InvalidReferenceError, checkImageRef } from './image/reference.js';
export { hostArch } from './image/types.js';
export { inspectImage, repoDigests } from './image/inspect.js';
export { imageHistory } from './image/history.js';
export { removeImage, type RemoveEvent } from './image/remove.js';
export { pruneImages, labelUntilFilters } from './image/prune.js';
export { parseTimeFilter, parseGoDuration } from './model/time-filter.js';
export { matchLabel, splitFilter } from './model/filters.js';
export { EventFollower, eventFilters, eventMatches, dockerEvent, eventTime, type EventRecord } from './views/events.js';
export { imageDetail, imageSummaries, imageLayerFiles, lineageGraph, pairHistory, type HistoryEntry } from './views/images.js';
export { buildHistory } from './views/builds.js';
export { imageEfficiency, type ImageEfficiency, type DockerfileLine } from './views/efficiency.js';
export type { DiskKind, DiskKindUsage } from './views/system-df.js';
export const systemDf = lazy(() => import('./views/system-df.js'), 'systemDf');
export const pruneKind = lazy(() => import('./views/system-df.js'), 'pruneKind');
export { computeEfficiency, type Efficiency, type EfficiencyLayer } from './image/efficiency.js';
export type { LayerFile } from './layer/files.js';
export { saveImages } from './image/save.js';
export { diskUsage, dirSize } from './image/usage.js';
export type { LoadedImage } from './image/load.js';
export const loadArchive = lazy(() => import('./image/load.js'), 'loadArchive');
export const importRootfs = lazy(() => import('./image/import.js'), 'importRootfs');
export const seedBusybox = lazy(() => import('./image/seed.js'), 'seedBusybox');

// --- containers --------------------------------------------------------------------------------
export { inspectContainer } from './container/inspect.js';
export { startsAfter } from './container/join.js';
export { storeExists } from './store/paths.js';
export type { ContainerUpdate } from './container/update.js';
export { displayState, commandLine, containerOverview } from './views/containers.js';
export { sampleStats, cpuPercent, memoryUsed, netTotals, dockerStats, type StatsSample } from './container/stats.js';
export { containerChanges } from './container/diff.js';
export { LogReader, changeOrTimeout, renderEntries, tailEntries, parseLogLine, dockerTime, type LogEntry } from './container/logs.js';
export { livePorts, portLines, portsColumn } from './network/ports-view.js';

// --- networks ----------------------------------------------------------------------------------
export type { NetworkCreateRequest, NetworkResource, IpamConfig, AttachRequest } from './services/networks.js';
export { cidrContains } from './network/ipam.js';

// --- builds ------------------------------------------------------------------------------------
export type { BuildEvent, BuildRequest, BuildResult, StepInfo, StepStatus, StepRecord } from './builder/events.js';
export { BuildStepError } from './builder/errors.js';
export const build = lazy(() => import('./builder/builder.js'), 'build');
export const pruneBuildCache = lazy(() => import('./builder/builder.js'), 'pruneBuildCache');
export type { BuildCacheRecord } from './builder/cache-usage.js';
export { parseCacheFrom, parseCacheTo, type CacheFrom, type CacheTo } from './builder/cache-io.js';
export const buildCacheRecords = lazy(() => import('./builder/cache-usage.js'), 'buildCacheRecords');
export const pruneBuildCacheRecords = lazy(() => import('./builder/cache-usage.js'), 'pruneBuildCacheRecords');

// --- registries --------------------------------------------------------------------------------
export type { LayerProgress, TransferEvent } from './registry/progress.js';
export type { Credentials } from './registry/credentials.js';
export { authFilePath, getCredentials, storedLogins } from './registry/credentials.js';
export { RegistryClient } from './registry/client.js';
export { login, logout, registryDomain } from './registry/login.js';
export const pull = lazy(() => import('./registry/index.js'), 'pull');
export const push = lazy(() => import('./registry/index.js'), 'push');

// --- the store and the host --------------------------------------------------------------------
export { checkStore } from './store/check.js';
export type { DB } from './store/db.js';
export { chooseDriver } from './mount/probe.js';
export { runcPath } from './runtime/runc.js';
export type { SandboxHostConfig } from './runtime/sandbox.js';
export { parseUlimit } from './runtime/ulimits.js';
export { parseDevice } from './runtime/devices.js';
export { parseSysctl } from './runtime/sysctls.js';
export { isRootless } from './rootless/detect.js';
export { runtimeDir } from './rootless/pause.js';
export { rootlessSummary } from './rootless/summary.js';
export { peerCredentials } from './util/native.js';
export { systemInfo, systemVersion, SLIPWAY_VERSION, type SystemInfo } from './views/system-info.js';
/** An ordinary user's CLI command runs again inside the rootless namespaces (rootless/reexec.ts). */
export async function reexecInRootlessNamespaceIfNeeded(): Promise<void> {
  const { needsNamespace, reexecInNamespace } = await import('./rootless/reexec.js');
  if (needsNamespace()) await reexecInNamespace();
}

// --- long operations in a child process (the app's tasks, the Engine API's build) -------------
export { bundleEntry } from './util/bundle-entry.js';
export { runOp, serveChildOps, type ChildOp, type ChildOps, type OpContext } from './child-op.js';

// --- small helpers the doors share -------------------------------------------------------------
export { bytesSize, humanAgo, humanDuration, humanSize } from './util/human.js';
export { shortId } from './util/ids.js';
export { writeFileAtomic, writeStreamAtomic } from './util/atomic.js';
export { trace, traceBegin, traceMark, tracing, now } from './util/trace.js';

// --- read models for the Engine API (docker's JSON shapes) ------------------------------------
export { containerSummary, containerFilter, listContainers, statusText, CONTAINER_FILTERS, type ContainerSummary } from './views/containers.js';
export { containerLogs, attachOutput, type LogChunk, type LogsRequest } from './views/logs.js';
export { followEvents, EVENT_FILTERS, type DockerEvent } from './views/events.js';
export { listImages, filterImages, containerCounts, globToRegExp, IMAGE_FILTERS } from './views/images.js';
export { execStream, type ExecProcess, type ExecStreamOptions } from './container/exec-stream.js';
export { normalizeTagged } from './image/reference.js';
export const checkLogin = lazy(() => import('./registry/login.js'), 'checkLogin');
/** Unpack a tar (plain or gzip) into a directory with a layer's safety checks (build contexts). */
export const applyLayer = lazy(() => import('./layer/apply.js'), 'applyLayer');

/** A function of a module loaded on its first call (types come from the module, at no cost). */
function lazy<M, K extends keyof M>(load: () => Promise<M>, key: K): Lazy<M[K]> {
  return (async (...args: unknown[]) => ((await load())[key] as (...a: unknown[]) => unknown)(...args)) as Lazy<M[K]>;
}
type Lazy<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
export { statContainerPath, getArchive, putArchive, type PathStat } from './container/archive.js';

// --- attach and exec sessions (conmon's attach socket): run -it, attach, exec, the app's terminal, the Engine API
export { AttachSession, DEFAULT_DETACH_KEYS, parseDetachKeys, type AttachEnd, type AttachOptions, type OutputChunk, type TerminalSize } from './container/attach.js';
export type { ExecOptions, RunningExec } from './container/exec.js';
export { copyFromContainer, copyToContainer } from './services/copy.js';
export { splitCpArg } from './archive/copy-rules.js';
export { parseRestartFlag } from './container/restart-policy.js';

// --- the app's volume and network pages --------------------------------------------------------
export { volumeOverviews, volumeFiles, openVolumeFile, exportVolume, importVolume, type VolumeOverview, type VolumeFile } from './volume/files.js';
export { networkOverviews, networkOverview, type NetworkOverview, type NetworkMember } from './views/networks.js';

// --- the app's Apps page (compose projects) ----------------------------------------------------
export { appOverviews, COMPOSE_LABELS, type AppOverview, type AppService, type AppContainer } from './views/apps.js';
export { appAction, type AppAction, type AppActionResult } from './services/apps.js';
export { appLogs, type AppLogLine } from './views/app-logs.js';
export { readLogLines, type LogLineRead } from './views/log-lines.js';
