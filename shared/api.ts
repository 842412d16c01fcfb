import { z } from 'zod';

/**
 * The API contract between the renderer and the engine, written once as data. The Electron
 * IPC binding and the WebSocket bridge both loop over `methods`, validate params with these
 * schemas and answer `{ result }` or `{ error: { code, message } }`. Long work (build, commit,
 * load, save, prune) answers a task id at once; its progress arrives as `task.*` events.
 */

const Ref = z.string().trim().min(1, 'must not be empty').max(512);
const Id = z.string().trim().min(1, 'must not be empty').max(128);
const Path = z.string().trim().min(1, 'must not be empty').max(4096);
const Ids = z.array(Id).min(1, 'select at least one').max(1000);

export const TaskStarted = z.object({ task: z.string() });

export const ImageSummary = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  created: z.string(),
  size: z.number(),
  layers: z.number(),
  containers: z.number(),
  addedAt: z.number(),
  origin: z.string(),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

export const LayerInfo = z.object({
  index: z.number(),
  chainId: z.string(),
  diffId: z.string(),
  size: z.number(),
  blobDigest: z.string(),
  blobSize: z.number(),
  mediaType: z.string(),
  createdBy: z.string(),
  created: z.string().nullable(),
  comment: z.string(),
  /** the step of the build that made this image which made this layer (or took it from the cache) */
  build: z.object({ step: z.string(), line: z.number().nullable(), cached: z.boolean() }).nullable(),
});
export type LayerInfo = z.infer<typeof LayerInfo>;

export const HistoryRow = z.object({
  created: z.string().nullable(),
  createdBy: z.string(),
  comment: z.string(),
  emptyLayer: z.boolean(),
  layerIndex: z.number().nullable(),
  size: z.number(),
});
export type HistoryRow = z.infer<typeof HistoryRow>;

export const LineageInfo = z.object({
  kind: z.string(),
  parentImageId: z.string().nullable(),
  containerId: z.string().nullable(),
  containerName: z.string().nullable(),
  buildId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
});
export type LineageInfo = z.infer<typeof LineageInfo>;

export const ImageDetail = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  created: z.string(),
  size: z.number(),
  author: z.string(),
  comment: z.string(),
  architecture: z.string(),
  os: z.string(),
  manifestDigest: z.string(),
  config: z.object({
    env: z.array(z.string()),
    entrypoint: z.array(z.string()).nullable(),
    cmd: z.array(z.string()).nullable(),
    workingDir: z.string(),
    user: z.string(),
    exposedPorts: z.array(z.string()),
    volumes: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    stopSignal: z.string(),
  }),
  layers: z.array(LayerInfo),
  history: z.array(HistoryRow),
  lineage: LineageInfo.nullable(),
  containers: z.array(z.object({ id: z.string(), name: z.string(), state: z.string() })),
});
export type ImageDetail = z.infer<typeof ImageDetail>;

export const FileMark = z.enum(['added', 'changed', 'deleted', 'opaque']);
export const LayerFile = z.object({
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  size: z.number(),
  mode: z.number(),
  mark: FileMark,
  target: z.string().optional(),
});
export type LayerFile = z.infer<typeof LayerFile>;

/** "Why is my image this big?" (engine: image/efficiency.ts documents the figures). */
export const ImageEfficiency = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  size: z.number(),
  totalBytes: z.number(),
  finalBytes: z.number(),
  wastedBytes: z.number(),
  score: z.number(),
  truncated: z.boolean(),
  wasted: z.array(z.object({ path: z.string(), occurrences: z.number(), wastedBytes: z.number(), cumulativeBytes: z.number(), layers: z.array(z.number()), present: z.boolean() })),
  largestFiles: z.array(z.object({ path: z.string(), size: z.number(), layer: z.number(), present: z.boolean() })),
  largestDirs: z.array(z.object({ path: z.string(), size: z.number(), presentSize: z.number() })),
  layers: z.array(z.object({
    index: z.number(),
    size: z.number(),
    wastedBytes: z.number(),
    files: z.number(),
    createdBy: z.string(),
    dockerfile: z.object({ file: z.string(), line: z.number(), text: z.string() }).nullable(),
  })),
});
export type ImageEfficiency = z.infer<typeof ImageEfficiency>;

export const DiskKind = z.enum(['images', 'containers', 'volumes', 'buildCache']);
export type DiskKind = z.infer<typeof DiskKind>;
/** The home dashboard: `system df` per kind, the running count, the largest consumers. */
export const SystemDf = z.object({
  containers: z.object({ total: z.number(), running: z.number() }),
  images: z.number(),
  kinds: z.array(z.object({ kind: DiskKind, count: z.number(), active: z.number(), size: z.number(), reclaimable: z.number() })),
  totalSize: z.number(),
  topImages: z.array(z.object({ id: z.string(), tags: z.array(z.string()), size: z.number(), uniqueSize: z.number(), containers: z.number() })),
  topVolumes: z.array(z.object({ name: z.string(), size: z.number(), containers: z.number() })),
});
export type SystemDf = z.infer<typeof SystemDf>;

export const ContainerState = z.enum(['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing']);

export const ContainerSummary = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  imageId: z.string(),
  command: z.string(),
  created: z.string(),
  state: z.string(),
  exitCode: z.number(),
  startedAt: z.string(),
  finishedAt: z.string(),
  stoppedByUser: z.boolean(),
  oomKilled: z.boolean(),
  ports: z.string(),
  /** State.Health.Status of a container with a healthcheck (starting, healthy, unhealthy); the status text says it */
  health: z.string().optional(),
  /** host ports a running container publishes, as links the user can open */
  published: z.array(z.object({ url: z.string(), label: z.string() })).default([]),
  /** the compose project (app) it belongs to, when docker-compose made it */
  app: z.string().optional(),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

export const ChangeRow = z.object({ kind: z.enum(['A', 'C', 'D']), path: z.string() });

export const LogLine = z.object({ time: z.string(), stream: z.string(), text: z.string() });
export type LogLine = z.infer<typeof LogLine>;

export const BuildRequest = z.object({
  dockerfile: z.string().min(1, 'the Dockerfile is empty').max(1_000_000),
  context: Path,
  tags: z.array(Ref).max(50).default([]),
  buildArgs: z.record(z.string().min(1), z.string()).default({}),
  noCache: z.boolean().default(false),
  target: z.string().optional(),
  /** push every tag once the build succeeds (docker build --push) */
  push: z.boolean().default(false),
});
export type BuildRequest = z.input<typeof BuildRequest>;

export const BuildRecord = z.object({
  id: z.string(),
  status: z.string(),
  dockerfile: z.string(),
  context: z.string(),
  args: z.record(z.string(), z.string()),
  tags: z.array(z.string()),
  steps: z.array(z.object({
    index: z.number(),
    instruction: z.string(),
    status: z.string(),
    cached: z.boolean(),
    reason: z.string().optional(),
    durationMs: z.number().optional(),
    /** the diffID of the layer the step made */
    layer: z.string().optional(),
    /** the Dockerfile line it starts on */
    line: z.number().optional(),
  })),
  startedAt: z.string(),
  durationMs: z.number().nullable(),
  imageId: z.string().nullable(),
  error: z.string().nullable(),
});
export type BuildRecord = z.infer<typeof BuildRecord>;

export const LineageNode = z.object({
  id: z.string(),
  kind: z.enum(['image', 'container']),
  label: z.string(),
  origin: z.string(),
  parent: z.string().nullable(),
  via: z.string().nullable(),
  present: z.boolean(),
});
export type LineageNode = z.infer<typeof LineageNode>;

/**
 * What each long task (main/server/task-ops.ts) takes and answers: the one schema both sides
 * use (the server's ops are typed from it, the renderer reads results through it).
 */
const Credentials = z.object({ username: z.string(), password: z.string() });
export const TaskParams = {
  build: z.object({
    dockerfileFile: z.string(),
    context: z.string(),
    tags: z.array(z.string()),
    buildArgs: z.record(z.string(), z.string()),
    noCache: z.boolean(),
    target: z.string().optional(),
    push: z.boolean().optional(),
  }),
  commit: z.object({ id: z.string(), repo: z.string().optional(), message: z.string(), author: z.string(), changes: z.array(z.string()) }),
  load: z.object({ path: z.string() }),
  save: z.object({ refs: z.array(z.string()), path: z.string(), format: z.enum(['docker-archive', 'oci-archive']) }),
  prune: z.object({ all: z.boolean() }),
  /** credentials: the Electron shell's login (kept with safeStorage), else the engine's auth file is read */
  pull: z.object({ ref: z.string(), tlsVerify: z.boolean().optional(), credentials: Credentials.optional() }),
  push: z.object({ ref: z.string(), tlsVerify: z.boolean().optional(), credentials: Credentials.optional() }),
  composeUp: z.object({ tool: z.array(z.string()), file: z.string(), project: z.string(), dockerHost: z.string() }),
} as const;
export type TaskKind = keyof typeof TaskParams;
export type TaskParamsOf<K extends TaskKind> = z.infer<(typeof TaskParams)[K]>;

export const TaskResults = {
  build: z.object({
    imageId: z.string(),
    buildId: z.string(),
    tags: z.array(z.string()),
    ms: z.number(),
    /** with push: each tag pushed, or why it was not (the image is built either way) */
    pushed: z.array(z.object({ tag: z.string(), digest: z.string().optional(), error: z.string().optional() })).optional(),
  }),
  commit: z.object({ id: z.string(), tags: z.array(z.string()) }),
  load: z.object({ images: z.array(z.object({ id: z.string(), tags: z.array(z.string()) })) }),
  save: z.object({ path: z.string() }),
  prune: z.object({ deleted: z.number(), reclaimed: z.number() }),
  pull: z.object({ id: z.string(), tags: z.array(z.string()), reference: z.string(), digest: z.string(), downloaded: z.boolean() }),
  push: z.object({ reference: z.string(), tag: z.string(), digest: z.string(), size: z.number() }),
  composeUp: z.object({ project: z.string(), exitCode: z.number() }),
} as const satisfies Record<TaskKind, z.ZodTypeAny>;
export type TaskResultOf<K extends TaskKind> = z.infer<(typeof TaskResults)[K]>;
export const TaskResult = z.union([
  TaskResults.build, TaskResults.commit, TaskResults.load, TaskResults.save, TaskResults.prune, TaskResults.pull, TaskResults.push, TaskResults.composeUp,
]);
export type TaskResult = z.infer<typeof TaskResult>;

export const TaskInfo = z.object({
  task: z.string(),
  kind: z.string(),
  title: z.string(),
  state: z.enum(['running', 'done', 'failed', 'cancelled']),
  startedAt: z.number(),
  message: z.string(),
  result: TaskResult.optional(),
  error: z.string().optional(),
  /** the error's category (ApiErrorCode) when the task failed */
  code: z.string().optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

export const Settings = z.object({
  notificationsMuted: z.boolean(),
  /** serve the Docker Engine API on the default socket while the app runs */
  serveEngineApi: z.boolean(),
});
export type Settings = z.infer<typeof Settings>;

/** The app's Engine API socket: what `DOCKER_HOST` to give tools, or why it is not served. */
export const EngineApiStatus = z.object({ enabled: z.boolean(), serving: z.boolean(), dockerHost: z.string().optional(), error: z.string().optional() });
export type EngineApiStatus = z.infer<typeof EngineApiStatus>;

/** A registry we hold credentials for; the password never leaves the engine. */
export const RegistryLogin = z.object({ registry: z.string(), username: z.string() });
export type RegistryLogin = z.infer<typeof RegistryLogin>;

/** A volume as the Volumes page lists it (main/engine/volume/files.ts). */
export const VolumeSummary = z.object({
  name: z.string(),
  driver: z.string(),
  created: z.string(),
  mountpoint: z.string(),
  labels: z.record(z.string(), z.string()),
  anonymous: z.boolean(),
  size: z.number(),
  containers: z.array(z.object({ id: z.string(), name: z.string(), state: z.string() })),
});
export type VolumeSummary = z.infer<typeof VolumeSummary>;

export const VolumeFile = z.object({
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  size: z.number(),
  mode: z.number(),
  target: z.string().optional(),
});
export type VolumeFile = z.infer<typeof VolumeFile>;

export const NetworkSummary = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  subnet: z.string(),
  gateway: z.string(),
  internal: z.boolean(),
  created: z.string(),
  builtin: z.boolean(),
  containers: z.array(z.object({ id: z.string(), name: z.string(), state: z.string(), address: z.string(), mac: z.string(), aliases: z.array(z.string()) })),
});
export type NetworkSummary = z.infer<typeof NetworkSummary>;

/**
 * One second of a running container's resource use (main/server/stats-sampler.ts). CPU is
 * docker's CPU % (100 = one CPU busy); memory is docker's usage (the inactive page cache left
 * out); network and block I/O are bytes per second since the sample before.
 */
export const StatsPoint = z.object({
  t: z.number(),
  cpu: z.number(),
  mem: z.number(),
  pids: z.number(),
  netRx: z.number(),
  netTx: z.number(),
  blkRead: z.number(),
  blkWrite: z.number(),
});
export type StatsPoint = z.infer<typeof StatsPoint>;

/** A container's ring (or its newest part), with what its graphs draw as lines and say as totals. */
export const ContainerStats = z.object({
  id: z.string(),
  running: z.boolean(),
  /** seconds between points, and how many the ring keeps */
  intervalMs: z.number(),
  capacity: z.number(),
  /** the memory cgroup's limit in bytes, null when it is only the host's memory */
  memLimit: z.number().nullable(),
  hostMemory: z.number(),
  /** CPU % the container may use (--cpus, or update's quota/period: 150 = 1.5 CPUs), null when unlimited */
  cpuLimit: z.number().nullable(),
  onlineCpus: z.number(),
  /** bytes since the container started, from the newest sample */
  totals: z.object({ netRx: z.number(), netTx: z.number(), blkRead: z.number(), blkWrite: z.number() }),
  points: z.array(StatsPoint),
});
export type ContainerStats = z.infer<typeof ContainerStats>;
/** A compose project (main/engine/views/apps.ts): containers grouped by com.docker.compose.project. */
export const AppContainer = z.object({
  id: z.string(),
  name: z.string(),
  service: z.string(),
  number: z.number(),
  oneoff: z.boolean(),
  state: z.string(),
  status: z.string(),
  health: z.string().optional(),
  ports: z.array(z.string()),
  created: z.string(),
});
export type AppContainer = z.infer<typeof AppContainer>;
export const AppSummary = z.object({
  project: z.string(),
  services: z.array(z.object({ name: z.string(), image: z.string(), containers: z.array(AppContainer) })),
  total: z.number(),
  running: z.number(),
  unhealthy: z.number(),
  summary: z.string(),
  state: z.enum(['running', 'partial', 'stopped']),
  ports: z.array(z.string()),
  /** host ports its running containers publish, as links */
  published: z.array(z.object({ url: z.string(), label: z.string() })),
  volumes: z.array(z.string()),
  networks: z.array(z.string()),
  workingDir: z.string(),
  configFiles: z.array(z.string()),
  created: z.string(),
});
export type AppSummary = z.infer<typeof AppSummary>;
const Outcome = z.object({ name: z.string(), error: z.string().optional() });
export const AppActionResult = z.object({
  project: z.string(),
  containers: z.array(Outcome.extend({ id: z.string() })),
  networks: z.array(Outcome),
  volumes: z.array(Outcome),
});
export type AppActionResult = z.infer<typeof AppActionResult>;
export const AppLogLine = LogLine.extend({ service: z.string(), container: z.string() });
export type AppLogLine = z.infer<typeof AppLogLine>;
const Project = z.string().trim().min(1, 'must not be empty').max(255);

const VolumeName = z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'at least two of letters, digits, _ . - (starting with a letter or digit)').max(255);
const NetName = z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'letters, digits, _ . - only').max(128);

const none = z.object({}).strict();
const Nothing = z.null();
const BatchResult = z.array(z.object({ id: z.string(), error: z.string().optional() }));

/** Every method the renderer may call. `task: true` marks long work answered by a task id. */
/** A compose file the app can bring up (main/server/compose.ts). */
export const ComposeFileInfo = z.object({
  file: z.string(),
  folder: z.string(),
  /** the file came as dropped text: kept under the store, so its relative paths resolve there */
  fromText: z.boolean(),
  project: z.string(),
  services: z.array(z.string()),
  /** the compose command found here, e.g. "docker-compose"; null when none is installed */
  tool: z.string().nullable(),
  /** why it cannot be brought up now (no compose tool, the Engine API socket off) */
  blocked: z.string().optional(),
});
export type ComposeFileInfo = z.infer<typeof ComposeFileInfo>;

export const methods = {
  'system.info': {
    params: none,
    result: z.object({ root: z.string(), version: z.string() }),
  },
  'images.list': { params: none, result: z.array(ImageSummary) },
  'images.inspect': { params: z.object({ ref: Ref }).strict(), result: ImageDetail },
  'images.layerFiles': {
    params: z.object({ image: Ref, layer: z.number().int().min(0), limit: z.number().int().min(1).max(50_000).default(5000) }).strict(),
    result: z.object({ files: z.array(LayerFile), truncated: z.boolean() }),
  },
  'images.efficiency': { params: z.object({ ref: Ref }).strict(), result: ImageEfficiency },
  'system.df': { params: none, result: SystemDf },
  /** a dashboard reclaim button: prunes what system.df calls reclaimable for that kind */
  'system.prune': { params: z.object({ kind: DiskKind }).strict(), result: z.object({ deleted: z.number(), reclaimed: z.number() }) },
  'images.tag': { params: z.object({ ref: Ref, target: Ref }).strict(), result: Nothing },
  'images.remove': {
    params: z.object({ refs: z.array(Ref).min(1).max(1000), force: z.boolean().default(false) }).strict(),
    result: z.array(z.object({ ref: z.string(), untagged: z.array(z.string()), deleted: z.array(z.string()), error: z.string().optional() })),
  },
  'images.prune': { params: z.object({ all: z.boolean().default(false) }).strict(), result: TaskStarted, task: true },
  'images.load': { params: z.object({ path: Path }).strict(), result: TaskStarted, task: true },
  'images.save': {
    params: z.object({ refs: z.array(Ref).min(1), path: Path, format: z.enum(['docker-archive', 'oci-archive']).default('docker-archive') }).strict(),
    result: TaskStarted,
    task: true,
  },
  'images.pull': { params: z.object({ ref: Ref, tlsVerify: z.boolean().optional() }).strict(), result: TaskStarted, task: true },
  'images.push': { params: z.object({ ref: Ref, tlsVerify: z.boolean().optional() }).strict(), result: TaskStarted, task: true },
  'registry.login': {
    params: z.object({ registry: Ref, username: z.string().min(1, 'must not be empty').max(512), password: z.string().min(1, 'must not be empty').max(16_384), tlsVerify: z.boolean().optional() }).strict(),
    result: z.object({ registry: z.string() }),
  },
  'registry.logout': { params: z.object({ registry: Ref }).strict(), result: z.object({ registry: z.string(), removed: z.boolean() }) },
  'registry.list': { params: none, result: z.array(RegistryLogin) },
  'containers.list': { params: z.object({ all: z.boolean().default(true) }).strict(), result: z.array(ContainerSummary) },
  'containers.inspect': { params: z.object({ id: Id }).strict(), result: z.record(z.string(), z.unknown()) },
  'containers.run': {
    params: z.object({
      image: Ref,
      name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'letters, digits, _ . - only').max(128).optional(),
      cmd: z.array(z.string()).max(1000).optional(),
      env: z.array(z.string().regex(/^[^=]+=.*$/s, 'NAME=value')).max(1000).default([]),
      start: z.boolean().default(true),
    }).strict(),
    result: z.object({ id: z.string(), name: z.string() }),
  },
  'containers.start': { params: z.object({ ids: Ids }).strict(), result: BatchResult },
  'containers.stop': { params: z.object({ ids: Ids, timeout: z.number().int().min(0).max(3600).optional() }).strict(), result: BatchResult },
  'containers.restart': { params: z.object({ ids: Ids }).strict(), result: BatchResult },
  'containers.kill': { params: z.object({ ids: Ids, signal: z.string().max(16).default('SIGKILL') }).strict(), result: BatchResult },
  'containers.remove': { params: z.object({ ids: Ids, force: z.boolean().default(false) }).strict(), result: BatchResult },
  'containers.logs': {
    params: z.object({ id: Id, tail: z.number().int().min(0).max(100_000).default(1000), after: z.number().int().min(0).default(0) }).strict(),
    result: z.object({ lines: z.array(LogLine), cursor: z.number() }),
  },
  'containers.diff': { params: z.object({ id: Id }).strict(), result: z.array(ChangeRow) },
  'containers.commit': {
    params: z.object({
      id: Id,
      repo: Ref.optional(),
      message: z.string().max(10_000).default(''),
      author: z.string().max(1000).default(''),
      changes: z.array(z.string().min(1)).max(100).default([]),
    }).strict(),
    result: TaskStarted,
    task: true,
  },
  'exec.start': {
    params: z.object({
      id: Id,
      cmd: z.array(z.string()).min(1).max(100).default(['sh']),
      cols: z.number().int().min(10).max(1000).default(80),
      rows: z.number().int().min(4).max(500).default(24),
    }).strict(),
    result: z.object({ session: z.string() }),
  },
  'exec.input': { params: z.object({ session: Id, data: z.string().max(65536) }).strict(), result: Nothing },
  'exec.resize': {
    params: z.object({ session: Id, cols: z.number().int().min(10).max(1000), rows: z.number().int().min(4).max(500) }).strict(),
    result: Nothing,
  },
  'exec.close': { params: z.object({ session: Id }).strict(), result: Nothing },
  'build.start': { params: BuildRequest.strict(), result: TaskStarted, task: true },
  'build.readDockerfile': {
    params: z.object({ path: Path }).strict(),
    result: z.object({ dockerfile: z.string(), dockerfilePath: z.string(), context: z.string() }),
  },
  'builds.list': { params: none, result: z.array(BuildRecord) },
  'lineage.graph': { params: none, result: z.object({ nodes: z.array(LineageNode) }) },
  'volumes.list': { params: none, result: z.array(VolumeSummary) },
  'volumes.inspect': { params: z.object({ name: Id }).strict(), result: VolumeSummary },
  'volumes.files': {
    params: z.object({ name: Id, limit: z.number().int().min(1).max(50_000).default(20_000) }).strict(),
    result: z.object({ files: z.array(VolumeFile), truncated: z.boolean() }),
  },
  'volumes.create': {
    params: z.object({ name: VolumeName.optional(), labels: z.record(z.string().min(1), z.string()).default({}) }).strict(),
    result: VolumeSummary,
  },
  /** refused (CONFLICT) while a container uses it, naming the containers */
  'volumes.remove': { params: z.object({ name: Id }).strict(), result: Nothing },
  'volumes.prune': { params: z.object({ all: z.boolean().default(false) }).strict(), result: z.object({ deleted: z.array(z.string()), reclaimed: z.number() }) },
  /** extract a tar on the engine's host (a path, or what /api/upload answered) into the volume */
  'volumes.import': { params: z.object({ name: Id, path: Path }).strict(), result: Nothing },
  /** write the volume as a tar to a path on the engine's host (the browser downloads /api/volumes/export instead) */
  'volumes.export': { params: z.object({ name: Id, path: Path }).strict(), result: z.object({ path: z.string() }) },
  /**
   * The desktop app's download: a save dialog, then one of the volume's files (`path`) or the
   * whole volume as a tar (no `path`) written where the user chose. `saved` null: cancelled, or
   * not the desktop app (a browser downloads through the page's links instead).
   */
  'volumes.download': { params: z.object({ name: Id, path: z.string().max(4096).optional() }).strict(), result: z.object({ saved: z.string().nullable() }) },
  'networks.list': { params: none, result: z.array(NetworkSummary) },
  'networks.inspect': { params: z.object({ ref: Id }).strict(), result: NetworkSummary },
  'networks.create': {
    params: z.object({ name: NetName, subnet: z.string().trim().max(64).optional(), internal: z.boolean().default(false) }).strict(),
    result: NetworkSummary,
  },
  /** refused (CONFLICT) while containers are attached, naming them */
  'networks.remove': { params: z.object({ ref: Id }).strict(), result: Nothing },
  'networks.connect': {
    params: z.object({ network: Id, container: Id, aliases: z.array(NetName).max(20).default([]) }).strict(),
    result: Nothing,
  },
  'networks.disconnect': { params: z.object({ network: Id, container: Id }).strict(), result: Nothing },
  /**
   * Live resource use. The renderer polls these (about once a second) rather than hearing a
   * pushed event: the contract has no unsubscribe, so an event would keep flowing to a window
   * that is hidden or on another page, while a page's own timer stops with the page (as log
   * follow does). The sampler keeps sampling either way, so the history survives.
   * stats.current: the newest `last` points of every running container (or of `ids`).
   */
  'stats.current': {
    params: z.object({ last: z.number().int().min(1).max(600).default(1), ids: z.array(Id).max(1000).optional() }).strict(),
    result: z.array(ContainerStats),
  },
  /** the whole ring of one container (kept after it stops, dropped when it is removed) */
  'stats.history': { params: z.object({ id: Id }).strict(), result: ContainerStats },
  'apps.list': { params: none, result: z.array(AppSummary) },
  /** remove = `docker-compose down`: containers and the project's networks; `volumes` = `down -v` */
  'apps.action': {
    params: z.object({ project: Project, action: z.enum(['start', 'stop', 'restart', 'remove']), volumes: z.boolean().default(false) }).strict(),
    result: AppActionResult,
  },
  /** the app's folder (its working_dir label): the desktop app opens it; `slipway ui` answers opened: false and the page shows the path */
  'apps.openFolder': { params: z.object({ project: Project }).strict(), result: z.object({ path: z.string(), opened: z.boolean() }) },
  /** every service's log interleaved by time; `cursor` is what the last call answered ({} the first time) */
  'apps.logs': {
    params: z.object({ project: Project, tail: z.number().int().min(0).max(100_000).default(1000), cursor: z.record(z.string().max(128), z.number().int().min(0)).default({}) }).strict(),
    result: z.object({ lines: z.array(AppLogLine), cursor: z.record(z.string(), z.number()) }),
  },
  /** a compose file to bring up from the app: by path (a file or its folder), or the text a browser drop read */
  'apps.composeRead': {
    params: z.object({ path: Path.optional(), text: z.string().max(1_000_000).optional(), name: z.string().max(255).optional() }).strict(),
    result: ComposeFileInfo,
  },
  /** `compose -p PROJECT -f FILE up -d` against the app's Engine API socket, its output as progress */
  'apps.up': { params: z.object({ file: Path, project: Project }).strict(), result: TaskStarted, task: true },
  'settings.get': { params: none, result: Settings },
  'settings.set': { params: Settings.partial().strict(), result: Settings },
  'engineApi.status': { params: none, result: EngineApiStatus },
  'tasks.list': { params: none, result: z.array(TaskInfo) },
  'tasks.cancel': { params: z.object({ task: Id }).strict(), result: Nothing },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;

export const EngineEvent = z.object({
  seq: z.number(),
  time: z.number(),
  type: z.string(),
  action: z.string(),
  actorId: z.string(),
  attributes: z.record(z.string(), z.unknown()),
});
export type EngineEvent = z.infer<typeof EngineEvent>;

/** A container event enriched with what a notification needs (name, image, how it ended). */
export const ContainerStateEvent = z.object({
  seq: z.number(),
  time: z.number(),
  id: z.string(),
  name: z.string(),
  image: z.string(),
  action: z.string(),
  state: z.enum(['created', 'running', 'exited', 'removed', 'other']),
  exitCode: z.number().nullable(),
  byUser: z.boolean(),
  oomKilled: z.boolean(),
});
export type ContainerStateEvent = z.infer<typeof ContainerStateEvent>;

/** One layer of a pull or push (registry/progress.ts): the app draws one row per layer. */
export const LayerTransfer = z.object({
  id: z.string(),
  digest: z.string(),
  status: z.string(),
  current: z.number(),
  total: z.number(),
  rate: z.number(),
  from: z.string().optional(),
});
export type LayerTransfer = z.infer<typeof LayerTransfer>;

export const TaskProgressEvent = z.object({
  task: z.string(),
  kind: z.string(),
  message: z.string(),
  step: z.number().optional(),
  steps: z.number().optional(),
  stepState: z.enum(['cached', 'running', 'done', 'failed']).optional(),
  instruction: z.string().optional(),
  log: z.string().optional(),
  layer: LayerTransfer.optional(),
});
export type TaskProgressEvent = z.infer<typeof TaskProgressEvent>;

export const TaskDoneEvent = z.object({
  task: z.string(),
  kind: z.string(),
  state: z.enum(['done', 'failed', 'cancelled']),
  result: TaskResult.optional(),
  error: z.string().optional(),
  code: z.string().optional(),
});
export type TaskDoneEvent = z.infer<typeof TaskDoneEvent>;

/** Every event the renderer may hear. */
export const events = {
  'engine.event': EngineEvent,
  'container.state': ContainerStateEvent,
  'task.progress': TaskProgressEvent,
  'task.done': TaskDoneEvent,
  'settings.changed': Settings,
  'engineApi.changed': EngineApiStatus,
  /** terminal output of an exec session, and its end */
  'exec.output': z.object({ session: z.string(), data: z.string() }),
  'exec.exit': z.object({ session: z.string(), code: z.number().nullable() }),
  /** the Electron shell asks the window to show a page (a clicked notification) */
  'ui.navigate': z.object({ page: z.string(), arg: z.string().optional() }),
} as const;
export type EventName = keyof typeof events;
export type EventData<E extends EventName> = z.infer<(typeof events)[E]>;

/**
 * Error codes on the wire: the engine's categories (INVALID travels as INVALID_ARGUMENT), plus
 * the contract's own (UNKNOWN_METHOD; DISCONNECTED, said by the renderer's transport) and
 * INTERNAL for a bug.
 */
export const ApiErrorCode = z.enum([
  'NOT_FOUND',
  'INVALID_ARGUMENT',
  'CONFLICT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'UNAVAILABLE',
  'NOT_MODIFIED',
  'NOT_IMPLEMENTED',
  'CANCELLED',
  'DEADLINE',
  'DATA_LOSS',
  'SYSTEM',
  'UNKNOWN',
  'UNKNOWN_METHOD',
  'INTERNAL',
  /** the renderer's own: the bridge connection dropped */
  'DISCONNECTED',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCode>;
export interface ApiError {
  code: ApiErrorCode;
  message: string;
}
export type Reply<T = unknown> = { result: T } | { error: ApiError };

/** WebSocket frames. Client -> server: calls and subscriptions; server -> client: replies and events. */
export const ClientFrame = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('call'), id: z.number().int(), method: z.string().max(64), params: z.unknown() }),
  z.object({ kind: z.literal('subscribe'), event: z.string().max(64) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ServerFrame =
  | { kind: 'reply'; id: number; reply: Reply }
  | { kind: 'event'; event: EventName; data: unknown };

export function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name);
}
export function isEvent(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(events, name);
}
