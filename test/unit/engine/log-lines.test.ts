import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLogLines } from '../../../main/engine/views/log-lines.js';

const rec = (t: string, stream: string, tag: string, text: string) => `2026-12-03T10:00:0${t}.000000001+00:00 ${stream} ${tag} ${text}\n`;

// The app's log pages poll a container's k8s-file log with a byte cursor (views/log-lines.ts).
describe('readLogLines', () => {
  const log = join(mkdtempSync(join(tmpdir(), 'slipway-loglines-')), 'ctr.log');

  it('reads every run appended to the log, joins P records, follows from a cursor and tails a first read', async () => {
    writeFileSync(log, rec('1', 'stdout', 'F', 'run one') + rec('2', 'stderr', 'P', 'half ') + rec('2', 'stderr', 'F', 'and half'));
    const first = await readLogLines(log, 0, 1000);
    expect(first.lines).toEqual([
      { time: '2026-12-03T10:00:01.000000001Z', stream: 'stdout', text: 'run one' },
      { time: '2026-12-03T10:00:02.000000001Z', stream: 'stderr', text: 'half and half' },
    ]);
    expect(await readLogLines(log, first.cursor, 1000)).toEqual({ lines: [], cursor: first.cursor });
    appendFileSync(log, rec('3', 'stdout', 'F', 'run two'));
    const next = await readLogLines(log, first.cursor, 1000);
    expect(next.lines.map((l) => l.text)).toEqual(['run two']);
    expect((await readLogLines(log, 0, 2)).lines.map((l) => l.text)).toEqual(['half and half', 'run two']);
  });

  it('shows a line still open as far as it goes, and starts again when the log was replaced by a shorter one', async () => {
    writeFileSync(log, rec('1', 'stdout', 'P', 'progress 50%'));
    expect((await readLogLines(log, 0, 10)).lines.map((l) => l.text)).toEqual(['progress 50%']);
    const { cursor } = await readLogLines(log, 0, 10);
    writeFileSync(log, rec('4', 'stdout', 'F', 'fresh'));
    expect(cursor).toBeGreaterThan(0);
    expect((await readLogLines(log, cursor + 100, 10)).lines.map((l) => l.text)).toEqual(['fresh']);
    expect(await readLogLines(join(log, '..', 'missing.log'), 0, 10)).toEqual({ lines: [], cursor: 0 });
  });
});
