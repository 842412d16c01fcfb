import type { Writable } from 'node:stream';
import { familiarName, now, shortId, type BuildEvent, type StepInfo, type StepStatus } from '../../engine/index.js';

/**
 * How `slipway build` shows progress: plain lines in BuildKit's format for logs and CI
 * (`#3 [app 2/6] COPY ...`, `#3 CACHED`, `#3 DONE 0.4s`), or a live view on a terminal that
 * redraws the running steps with their last output lines.
 */
export interface Renderer {
  event(e: BuildEvent): void;
  close(): void;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function plainRenderer(w: Writable): Renderer {
  const started = new Map<number, number>();
  const partial = new Map<number, string>();
  const print = (s: string) => w.write(`${s}\n`);
  const flushPartial = (id: number) => {
    const p = partial.get(id);
    if (p) print(`#${id} ${((now() - started.get(id)!) / 1000).toFixed(3)} ${p}`);
    partial.delete(id);
  };
  return {
    event(e) {
      switch (e.type) {
        case 'step.start':
          started.set(e.step.id, now());
          print(`#${e.step.id} ${e.step.name}`);
          break;
        case 'step.cached':
          print(`#${e.step.id} CACHED`);
          break;
        case 'step.miss':
          if (e.reason !== '--no-cache') print(`#${e.step.id} cache miss: ${e.reason}`);
          break;
        case 'step.output': {
          const id = e.step.id;
          const text = (partial.get(id) ?? '') + e.text;
          const lines = text.split('\n');
          partial.set(id, lines.pop()!);
          const t = ((now() - started.get(id)!) / 1000).toFixed(3);
          for (const l of lines) print(`#${id} ${t} ${l}`);
          break;
        }
        case 'step.done':
          flushPartial(e.step.id);
          print(`#${e.step.id} DONE ${secs(e.ms)}`);
          break;
        case 'step.error':
          flushPartial(e.step.id);
          print(`#${e.step.id} ERROR: ${e.message}`);
          break;
        case 'build.warning':
          print(`[Warning] ${e.message}`);
          break;
        case 'build.done':
          print(`#${(started.size || 0) + 1} writing image ${e.imageId} done`);
          for (const t of e.tags) print(`#${(started.size || 0) + 1} naming to ${t} done`);
          print(`Successfully built ${shortId(e.imageId)}`);
          for (const t of e.tags) print(`Successfully tagged ${familiarName(t)}`);
          break;
        default:
          break;
      }
    },
    close() {},
  };
}

interface Live {
  info: StepInfo;
  t0: number;
  status: StepStatus;
  ms?: number;
  tail: string[];
  reason?: string;
}

export function ttyRenderer(w: Writable & { columns?: number }): Renderer {
  const steps: Live[] = [];
  const t0 = now();
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const width = () => Math.max(40, (w.columns || 100) - 1);
  const cut = (s: string) => (s.length > width() ? `${s.slice(0, width() - 1)}…` : s);
  const draw = () => {
    const lines: string[] = [`[+] Building ${secs(now() - t0)} (${steps.filter((s) => s.status !== 'running').length}/${steps.length})`];
    for (const s of steps) {
      const right = s.status === 'cached' ? 'CACHED' : s.status === 'running' ? secs(now() - s.t0) : s.status === 'failed' ? 'ERROR' : secs(s.ms ?? 0);
      const mark = s.status === 'running' ? '=>' : s.status === 'failed' ? '=> ERROR' : '=>';
      const left = `${mark} ${s.info.name}`;
      const room = width() - right.length - 1;
      lines.push(`${left.length > room ? `${left.slice(0, room - 1)}…` : left.padEnd(room)} ${right}`);
      if (s.status === 'running' || s.status === 'failed') for (const l of s.tail.slice(-6)) lines.push(cut(` => => # ${l}`));
    }
    let buf = drawn ? `\x1b[${drawn}F` : '';
    buf += lines.map((l) => `\x1b[2K${l}`).join('\n') + '\n';
    w.write(buf);
    drawn = lines.length;
  };
  const find = (id: number) => steps.find((s) => s.info.id === id)!;
  timer = setInterval(draw, 150);
  timer.unref();
  return {
    event(e) {
      switch (e.type) {
        case 'step.start':
          steps.push({ info: e.step, t0: now(), status: 'running', tail: [] });
          break;
        case 'step.cached':
          find(e.step.id).status = 'cached';
          break;
        case 'step.miss':
          find(e.step.id).reason = e.reason;
          break;
        case 'step.output': {
          const s = find(e.step.id);
          for (const l of e.text.split('\n')) if (l) s.tail.push(l);
          if (s.tail.length > 50) s.tail.splice(0, s.tail.length - 50);
          break;
        }
        case 'step.done': {
          const s = find(e.step.id);
          s.status = 'done';
          s.ms = e.ms;
          break;
        }
        case 'step.error': {
          const s = find(e.step.id);
          s.status = 'failed';
          if (e.tail.length) s.tail = e.tail;
          break;
        }
        case 'build.warning':
          w.write(`[Warning] ${e.message}\n`);
          break;
        case 'build.done':
          draw();
          drawn = 0; // the summary goes below the final frame
          w.write(`=> writing image ${e.imageId}\n`);
          for (const t of e.tags) w.write(`=> naming to ${t}\n`);
          return;
        case 'build.error':
          draw();
          drawn = 0;
          return;
        default:
          return;
      }
      draw();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
