import { build, type BuildEvent, type Engine, type OpContext } from '../engine/index.js';

/**
 * The Engine API's work that runs in a child process (engine/child-op.ts, served by
 * server/task-child.ts): a build grows the heap and native memory by tens of MB (builds of
 * the bench context took the service from 62 to 132 MB RSS), which a long-lived service
 * keeps; in a child it goes back when the child ends.
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
    const r = await build(engine, { ...p, signal: t.signal }, (e) => {
      const text = streamText(e);
      if (text !== undefined) t.progress(text);
    });
    return { imageId: r.imageId, tags: r.tags };
  },
};
