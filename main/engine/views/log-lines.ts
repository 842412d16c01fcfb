import { open, stat } from 'node:fs/promises';
import { dockerTime, parseLogLine } from '../container/logs.js';

export interface LogLineRead {
  /** docker's form: UTC, nanoseconds, Z (sorts as text) */
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A first read of a big log starts this far from its end: a page asks for a tail anyway. */
const FIRST_WINDOW = 4 * 1024 * 1024;

/**
 * A container's log lines after a byte cursor, read asynchronously (the app's pages poll with
 * the cursor they were given). The log holds every run of the container, appended, so a
 * restart's output follows the last run's, as `docker logs` shows it. Partial (P) records join
 * the line they end within one read; a cursor past the end (a rotated log) starts the new file again.
 */
export async function readLogLines(path: string, after: number, tail: number): Promise<{ lines: LogLineRead[]; cursor: number }> {
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size < after) after = 0;
  if (size === after) return { lines: [], cursor: after };
  const from = after === 0 ? Math.max(0, size - FIRST_WINDOW) : after;
  const fh = await open(path, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    text = buf.toString('utf8');
  } finally {
    await fh.close();
  }
  let start = 0;
  if (from !== after) start = text.indexOf('\n') + 1; // skip the record cut by the window
  const lastNl = text.lastIndexOf('\n');
  if (lastNl < start) return { lines: [], cursor: after };
  const lines: LogLineRead[] = [];
  const partial: Record<string, string> = {};
  let last = '';
  for (const raw of text.slice(start, lastNl).split('\n')) {
    const e = parseLogLine(raw);
    if (!e) continue;
    last = e.time;
    if (!e.full) {
      partial[e.stream] = (partial[e.stream] ?? '') + e.text;
      continue;
    }
    lines.push({ time: dockerTime(e.time), stream: e.stream, text: (partial[e.stream] ?? '') + e.text });
    delete partial[e.stream];
  }
  // a line still open (P records, its F not written yet) is shown as far as it goes: never
  // held back (a progress bar may never end its line), never lost
  for (const [stream, t] of Object.entries(partial)) lines.push({ time: dockerTime(last), stream: stream as LogLineRead['stream'], text: t });
  const cursor = from + Buffer.byteLength(text.slice(0, lastNl + 1));
  return { lines: after === 0 ? lines.slice(-tail) : lines, cursor };
}
