import { closeSync, existsSync, openSync, readSync, fstatSync, statSync, watch } from 'node:fs';

/** One record of conmon's k8s-file log: `<RFC3339Nano> <stdout|stderr> <P|F> <text>`. */
export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  /** true when the line ends here (F); P = a partial line, continued by the next record */
  full: boolean;
  text: string;
}

export function parseLogLine(line: string): LogEntry | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { time: line.slice(0, a), stream, full: tag !== 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

/** Docker's timestamp form: UTC with a Z and nanoseconds. */
export function dockerTime(k8sTime: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d:\d\d|Z)$/.exec(k8sTime);
  if (!m) return k8sTime;
  if (m[3] === 'Z' || m[3] === '+00:00') return `${m[1]}${(m[2] ?? '.').padEnd(10, '0').slice(0, 10)}Z`;
  const d = new Date(k8sTime);
  return `${d.toISOString().slice(0, 19)}${(m[2] ?? '.').padEnd(10, '0').slice(0, 10)}Z`;
}

/** Reads a growing k8s-file log from an offset, handing out whole records. */
export class LogReader {
  private fd: number | undefined;
  private rest = '';
  constructor(readonly path: string, private offset = 0) {}

  /** Open now (the file may later be unlinked by --rm; an open fd still reads it). */
  open(): boolean {
    if (this.fd !== undefined) return true;
    if (!existsSync(this.path)) return false;
    try {
      this.fd = openSync(this.path, 'r');
      return true;
    } catch {
      return false;
    }
  }

  /** Everything appended since the last call, as complete records. */
  read(): LogEntry[] {
    if (!this.open()) return [];
    const out: LogEntry[] = [];
    this.drain();
    // --log-opt max-size: conmon renames a fresh file over the log when it is full. What
    // the old one got is read above; then follow the new one from its start.
    for (let i = 0; i < 4 && this.replaced(); i++) {
      closeSync(this.fd!);
      this.fd = openSync(this.path, 'r');
      this.offset = 0;
      this.drain();
    }
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const e = parseLogLine(this.rest.slice(0, nl));
      this.rest = this.rest.slice(nl + 1);
      if (e) out.push(e);
    }
    return out;
  }

  private drain(): void {
    const size = fstatSync(this.fd!).size;
    if (size < this.offset) this.offset = 0; // truncated
    const buf = Buffer.alloc(64 * 1024);
    while (this.offset < size) {
      const n = readSync(this.fd!, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.rest += buf.subarray(0, n).toString('utf8');
    }
  }

  /** Whether the path now names another file than the one we read (it may be gone: --rm). */
  private replaced(): boolean {
    try {
      return statSync(this.path).ino !== fstatSync(this.fd!).ino;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Resolve after something changes in `dir` or `ms` passes, whichever is first. */
export function changeOrTimeout(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let w: ReturnType<typeof watch> | undefined;
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      w?.close();
      resolve();
    }
    try {
      w = watch(dir, done);
      w.on('error', done);
    } catch {
      // dir gone: the timeout alone paces the caller
    }
  });
}

/** Render entries as text lines per stream: P records join the next one. */
export function renderEntries(entries: LogEntry[], timestamps: boolean): { stream: 'stdout' | 'stderr'; text: string }[] {
  const out: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  let pendingTs = { stdout: true, stderr: true };
  for (const e of entries) {
    const prefix = timestamps && pendingTs[e.stream] ? `${dockerTime(e.time)} ` : '';
    out.push({ stream: e.stream, text: `${prefix}${e.text}${e.full ? '\n' : ''}` });
    pendingTs = { ...pendingTs, [e.stream]: e.full };
  }
  return out;
}

/** docker logs --tail N: the last N whole lines (a line may span P records). */
export function tailEntries(entries: LogEntry[], n: number): LogEntry[] {
  if (n < 0) return entries;
  let lines = 0;
  let i = entries.length;
  while (i > 0) {
    const e = entries[i - 1]!;
    if (e.full) {
      if (lines === n) break;
      lines++;
    }
    i--;
  }
  return entries.slice(i);
}
