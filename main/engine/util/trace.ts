import { appendFileSync, writeSync } from 'node:fs';

/**
 * SLIPWAY_TRACE=1: where a command's time goes, one line per phase on stderr when the process
 * exits (SLIPWAY_TRACE=/some/file appends there instead: conmon's exit command has no stderr
 * anyone reads). Times are milliseconds since the process started, so "node start -> entry"
 * is measured too. Off, each call is one boolean test, and nothing is loaded (Node's
 * perf_hooks only when printing).
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

/**
 * ms since the process started. process.uptime() needs no module, where the first
 * performance.now() loads perf_hooks (ten internal modules, ~1 ms of a CLI call).
 */
export function now(): number {
  return process.uptime() * 1000;
}

function record(name: string, start: number, end: number): void {
  spans.push({ name, start, end });
  if (!printerInstalled) {
    printerInstalled = true;
    process.on('exit', printTrace);
  }
}

/** An instant, as a phase from the process start (e.g. "entry": `at` = when the CLI's first line ran). */
export function traceMark(name: string, at = now()): void {
  if (tracing) record(name, 0, at);
}

/** Start a phase; call the returned function when it ends. */
export function traceBegin(name: string): () => void {
  if (!tracing) return noop;
  const start = now();
  return () => record(name, start, now());
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
  const end = now();
  const t = (globalThis.performance as unknown as { nodeTiming: { bootstrapComplete: number } }).nodeTiming;
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
  lines.push(`  ${end.toFixed(1).padStart(7)} ms  ${''.padStart(10)}  exit`);
  const text = `${lines.join('\n')}\n`;
  try {
    if (setting === '1' || setting === 'true') writeSync(2, text);
    else appendFileSync(setting, text);
  } catch {
    // tracing must never change how a command ends
  }
}
