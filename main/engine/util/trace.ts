import { appendFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * SLIPWAY_TRACE=1: where a command's time goes, one line per phase on stderr when the process
 * exits (SLIPWAY_TRACE=/some/file appends there instead: conmon's exit command has no stderr
 * anyone reads). Times are milliseconds since the process started (performance.now()), so
 * "node start -> entry" is measured too. Off, each call is one boolean test.
 */
const setting = process.env.SLIPWAY_TRACE ?? '';
export const tracing = setting !== '' && setting !== '0';

interface Span {
  name: string;
  start: number;
  end: number;
}
const spans: Span[] = [];
let printerInstalled = false;

function record(name: string, start: number, end: number): void {
  spans.push({ name, start, end });
  if (!printerInstalled) {
    printerInstalled = true;
    process.on('exit', printTrace);
  }
}

/** An instant: the time since node started (e.g. "entry" when the CLI's first line runs). */
export function traceMark(name: string): void {
  if (tracing) record(name, 0, performance.now());
}

/** Start a phase; call the returned function when it ends. */
export function traceBegin(name: string): () => void {
  if (!tracing) return noop;
  const start = performance.now();
  return () => record(name, start, performance.now());
}

/** Time `fn` (sync or async) as one phase. */
export function trace<T>(name: string, fn: () => T): T {
  if (!tracing) return fn();
  const end = traceBegin(name);
  let out: T;
  try {
    out = fn();
  } catch (e) {
    end();
    throw e;
  }
  if (out instanceof Promise) return out.finally(end) as T;
  end();
  return out;
}

function noop(): void {}

/** One line per phase, in start order, indented under the phases that contain it. */
function printTrace(): void {
  const now = performance.now();
  const t = performance.nodeTiming;
  const rows: Span[] = [
    { name: 'node bootstrap', start: 0, end: t.bootstrapComplete },
    ...spans,
  ].sort((a, b) => a.start - b.start || b.end - a.end);
  const open: Span[] = [];
  const lines = [`slipway trace: pid ${process.pid} ${process.argv.slice(2).join(' ')}`.slice(0, 160)];
  for (const s of rows) {
    while (open.length && open[open.length - 1]!.end <= s.start) open.pop();
    const indent = '  '.repeat(open.length);
    lines.push(`  ${s.start.toFixed(1).padStart(7)} ms  ${(s.end - s.start).toFixed(1).padStart(7)} ms  ${indent}${s.name}`);
    if (s.end > s.start) open.push(s);
  }
  lines.push(`  ${now.toFixed(1).padStart(7)} ms  ${''.padStart(10)}  exit`);
  const text = `${lines.join('\n')}\n`;
  try {
    if (setting === '1' || setting === 'true') writeSync(2, text);
    else appendFileSync(setting, text);
  } catch {
    // tracing must never change how a command ends
  }
}
