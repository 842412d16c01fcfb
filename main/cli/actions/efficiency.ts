import { humanSize, imageEfficiency, InvalidArgumentError, shortId, type ImageEfficiency } from '../../engine/index.js';
import { withEngine } from './with-engine.js';
import { out, printJSON } from '../output.js';

/** `slipway image inspect --efficiency IMAGE...` and `slipway image why-size IMAGE`. */
export async function efficiency(names: string[], opts: { format?: string }): Promise<void> {
  const format = opts.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new InvalidArgumentError(`--format with --efficiency is "table" or "json", not "${format}"`);
  await withEngine(async (engine) => {
    const all: ImageEfficiency[] = [];
    for (const n of names) all.push(await imageEfficiency(engine, n));
    if (format === 'json') return printJSON(names.length === 1 ? all[0] : all);
    all.forEach((e, i) => {
      if (i) out('');
      printHuman(e);
    });
  });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) out(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('   ').trimEnd());
}

function printHuman(e: ImageEfficiency): void {
  out(`Image:          ${e.tags[0] ?? shortId(e.id)} (${shortId(e.id)})`);
  out(`Size:           ${humanSize(e.size)}`);
  out(`Wasted:         ${humanSize(e.wastedBytes)}`);
  out(`Efficiency:     ${pct(e.score)}`);
  if (e.truncated) out('(a layer has more entries than were read; the figures cover what was read)');
  out('');
  out('Layers:');
  table([
    ['#', 'SIZE', 'WASTED', 'CREATED BY'],
    ...e.layers.map((l) => [String(l.index), humanSize(l.size), humanSize(l.wastedBytes), cut(l.dockerfile ? `line ${l.dockerfile.line}: ${l.dockerfile.text}` : l.createdBy, 80)]),
  ]);
  if (e.wasted.some((w) => w.wastedBytes > 0)) {
    out('');
    out('Wasted by:');
    table([
      ['WASTED', 'COUNT', 'LAYERS', 'PATH'],
      ...e.wasted.filter((w) => w.wastedBytes > 0).slice(0, 10).map((w) => [humanSize(w.wastedBytes), String(w.occurrences), w.layers.join(','), `${w.path}${w.present ? '' : ' (deleted)'}`]),
    ]);
  }
  out('');
  out('Largest files:');
  table([['SIZE', 'LAYER', 'PATH'], ...e.largestFiles.map((f) => [humanSize(f.size), String(f.layer), `${f.path}${f.present ? '' : ' (gone in the final image)'}`])]);
  out('');
  out('Largest directories:');
  table([['SIZE', 'IN IMAGE', 'PATH'], ...e.largestDirs.map((d) => [humanSize(d.size), humanSize(d.presentSize), d.path])]);
}
