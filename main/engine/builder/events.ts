/**
 * The builder's API: what a caller asks for and the progress it hears. The CLI renders these
 * events (plain or TTY); the desktop app forwards them as task progress.
 */
/** Where a build's result goes (`--output`): the image store, or a stage's files. */
export type BuildOutput =
  | { type: 'image' }
  | { type: 'local'; dest: string }
  /** a tar of the files: to `dest`, or written to `stream` (`-o -`) */
  | { type: 'tar'; dest?: string; stream?: NodeJS.WritableStream };

import type { CacheFrom, CacheTo } from './cache-io.js';

export interface BuildRequest {
  /** context directory; undefined = an empty context (Dockerfile from stdin with CONTEXT "-") */
  context?: string;
  /**
   * The context is a temporary copy deleted after the build (the Engine API unpacks the
   * client's tar into one): its files' hashes are not remembered, since no later build can
   * look them up, and a table row per file per build would only grow.
   */
  temporaryContext?: boolean;
  /** path of the Dockerfile (default: <context>/Dockerfile) */
  dockerfile?: string;
  /** the Dockerfile's text, when it does not come from a file (stdin) */
  dockerfileText?: string;
  tags?: string[];
  /** --build-arg K=V; a value of undefined means "take K from the caller's environment" */
  buildArgs?: Record<string, string | undefined>;
  target?: string;
  noCache?: boolean;
  labels?: Record<string, string>;
  /** RUN's network: host (default until container networking lands) or none */
  network?: 'host' | 'none';
  /** `--secret id=X,src=FILE|env=VAR`: read only while a RUN that mounts it runs */
  secrets?: Record<string, { file: string } | { env: string }>;
  /** `--ssh ID=SOCKET|KEY...`: agent sockets or key files per id */
  ssh?: Record<string, string[]>;
  /** --cache-from: step caches from an OCI layout dir or an image's inline cache */
  cacheFrom?: CacheFrom[];
  /** --cache-to: write the step cache to an OCI layout dir, or inline into the image */
  cacheTo?: CacheTo[];
  /** default: the image store only */
  outputs?: BuildOutput[];
  /** `--platform os/arch[/variant]`: the target platform (default: this machine's) */
  platform?: string;
  /** `--allow` entitlements: security.insecure lets RUN --security=insecure run privileged */
  allow?: string[];
  /** SOURCE_DATE_EPOCH, seconds: history and layer times clamp to it, for reproducible IDs */
  epoch?: number;
  signal?: AbortSignal;
}

export type { StepStatus, StepRecord } from '../store/tables/builds.js';
import type { StepRecord } from '../store/tables/builds.js';

export interface StepInfo {
  /** vertex number, in the order steps start (#1, #2...) */
  id: number;
  /** "[app 2/6] COPY files/ /app/files/" */
  name: string;
  stage: string;
  instruction: string;
}

export type BuildEvent =
  | { type: 'build.start'; buildId: string; dockerfile: string; context: string; stages: number }
  | { type: 'step.start'; step: StepInfo }
  | { type: 'step.cached'; step: StepInfo }
  | { type: 'step.miss'; step: StepInfo; reason: string }
  | { type: 'step.output'; step: StepInfo; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'step.done'; step: StepInfo; ms: number }
  | { type: 'step.error'; step: StepInfo; message: string; exitCode?: number; tail: string[] }
  | { type: 'build.warning'; message: string }
  | { type: 'build.done'; buildId: string; imageId: string; tags: string[]; ms: number }
  | { type: 'build.error'; buildId: string; message: string };

export interface BuildResult {
  buildId: string;
  /** the image's ID (its config digest), also when only files were exported (then it is not stored) */
  imageId: string;
  /** the image went into the store (the default output) */
  stored: boolean;
  /** the stored image's manifest: BuildKit's containerimage.descriptor */
  descriptor?: { mediaType: string; digest: string; size: number };
  tags: string[];
  steps: StepRecord[];
  ms: number;
}
