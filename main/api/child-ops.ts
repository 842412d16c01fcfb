import { build, bundleEntry, loadArchive, pull, type BuildEvent, type Credentials, type Engine, type LoadedImage, type OpContext, type TransferEvent } from '../engine/index.js';

/**
 * The Engine API's work that runs in a child process (engine/child-op.ts; the child is
 * api-child.ts, an entry of the bundle, found once): a build, a pull or a load grows the heap and native memory by tens
 * of MB (builds of the bench context took the service from 62 to 132 MB RSS, a 200 MB pull to
 * 137 MB, and it stayed there), which a long-lived service keeps; in a child it goes back when
 * the child ends. The routes keep docker's words and shapes; what crosses is the engine's own
 * events and results.
 */

export interface ApiBuildParams {
  /** the unpacked context directory and the Dockerfile inside it */
  context: string;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  network: 'none' | 'host';
}

export interface ApiBuildResult {
  imageId: string;
  tags: string[];
}

/** "[app 2/6] COPY a b" -> "Step 2/6 : COPY a b" (the classic builder's words). */
function stepLine(name: string, instruction: string): string {
  const m = /^\[(?:[^\]]*?\s)?(\d+)\/(\d+)\]/.exec(name);
  return m ? `Step ${m[1]}/${m[2]} : ${instruction}` : `Step : ${instruction}`;
}

/** A build event as the text of docker's classic builder's {"stream"} line; undefined: it says nothing. */
function streamText(e: BuildEvent): string | undefined {
  switch (e.type) {
    case 'step.start':
      return `${stepLine(e.step.name, e.step.instruction)}\n`;
    case 'step.cached':
      return ' ---> Using cache\n';
    case 'step.output':
      return e.text;
    case 'build.warning':
      return `[WARNING]: ${e.message}\n`;
    default:
      return undefined;
  }
}

export const apiChildOps = {
  /** POST /build's build; progress is the text of each {"stream"} line, in order. */
  async apiBuild(engine: Engine, p: ApiBuildParams, t: OpContext<string>): Promise<ApiBuildResult> {
    const r = await build(engine, { ...p, temporaryContext: true, signal: t.signal }, (e) => {
      const text = streamText(e);
      if (text !== undefined) t.progress(text);
    });
    return { imageId: r.imageId, tags: r.tags };
  },

  /** POST /images/create?fromImage=: the engine's transfer events as they come. */
  async apiPull(engine: Engine, p: { ref: string; platform?: string; credentials?: Credentials }, t: OpContext<TransferEvent>): Promise<{ reference: string; digest: string; downloaded: boolean }> {
    const r = await pull(engine, p.ref, { platform: p.platform, credentials: p.credentials, signal: t.signal }, (e) => t.progress(e));
    return { reference: r.reference, digest: r.digest, downloaded: r.downloaded };
  },

  /** POST /images/load, from the request body the route spooled to `path` (errors name `label`). */
  async apiLoad(engine: Engine, p: { path: string; label: string }): Promise<Pick<LoadedImage, 'id' | 'tags'>[]> {
    return (await loadArchive(engine, p.path, p.label)).map((l) => ({ id: l.id, tags: l.tags }));
  },
};

/** The child these ops run in (undefined where the bundle is not built: they run in-process). */
export const apiChildEntry: string | undefined = bundleEntry('api-child');
