import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { openDatabase, type DB } from '../../../main/engine/store/db.js';
import { TABLE_OWNERS, foreignRefs } from '../../../main/engine/store/tables/index.js';
import { pullPartialsTable } from '../../../main/engine/store/tables/pull-partials.js';
import { buildsTable } from '../../../main/engine/store/tables/builds.js';
import { eventsTable, EVENTS_KEPT } from '../../../main/engine/store/tables/events.js';

let dir: string | undefined;
let db: DB | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});
function fresh(): DB {
  dir = mkdtempSync(join(tmpdir(), 'slipway-tables-'));
  return (db = openDatabase(join(dir, 'slipway.db')));
}

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('every table has one owner that says what it keeps alive', () => {
  it('names an owner module for every table the migrations create', () => {
    const tables = (fresh().prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((t) => t.name);
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter((t) => !(t in TABLE_OWNERS))).toEqual([]);
  });

  it('keeps what owners reference, not what a column name suggests', () => {
    const d = fresh();
    pullPartialsTable.record(d, D('a'), D('b'), 'example.test/x:1');
    // A column that merely sounds like a reference pins nothing (image/refs.ts once guessed by name).
    d.exec(`CREATE TABLE lookalike (manifest_digest TEXT, parent_chain_id TEXT)`);
    d.prepare(`INSERT INTO lookalike VALUES (?, ?)`).run(D('c'), D('d'));
    const refs = foreignRefs(d);
    expect([...refs.blobs]).toEqual([D('a')]);
    expect([...refs.chainIds]).toEqual([D('b')]);
  });

  it('reads build steps in one shape, old rows\' "error" as the contract\'s "failed"', () => {
    const d = fresh();
    buildsTable.start(d, { id: 'b1', dockerfile: '-', context: '-', args: {}, target: null, started: 1 });
    buildsTable.finish(d, 'b1', { status: 'failed', imageId: null, error: 'x', steps: [{ id: 1, name: '[1/1] RUN false', status: 'failed' }], durationMs: 5 });
    d.prepare(`UPDATE builds SET steps = ? WHERE id = 'b1'`).run(JSON.stringify([{ id: 1, name: 'RUN a', status: 'done' }, { id: 2, name: 'RUN b', status: 'error', ms: 3 }]));
    expect(buildsTable.recent(d)[0]!.steps).toEqual([
      { id: 1, name: 'RUN a', status: 'done' },
      { id: 2, name: 'RUN b', status: 'failed', ms: 3 },
    ]);
  });
});

describe('the events table stays bounded', () => {
  it('keeps the newest EVENTS_KEPT events and forgets older ones as new ones come', () => {
    const d = fresh();
    const n = EVENTS_KEPT + 2_500;
    d.transaction(() => {
      for (let i = 1; i <= n; i++) eventsTable.insert(d, { type: 'container', action: 'die', actorId: `c${i}`, attributes: { exitCode: String(i % 256) } });
    })();
    const count = (d.prepare(`SELECT COUNT(*) AS n, MIN(seq) AS lo FROM events`).get() as { n: number; lo: number });
    // trimmed at the last multiple of 1,000: between EVENTS_KEPT and EVENTS_KEPT + 1,000 remain
    expect(count.n).toBeGreaterThanOrEqual(EVENTS_KEPT);
    expect(count.n).toBeLessThan(EVENTS_KEPT + 1_000);
    expect(eventsTable.lastSeq(d)).toBe(n);
    expect(eventsTable.last(d, `c${n}`, 'die')?.attributes.exitCode).toBe(String(n % 256));
    expect(eventsTable.last(d, 'c1', 'die')).toBeUndefined();
  });
});

describe('SQL lives only with the tables', () => {
  it('no module outside main/engine/store/tables (and the schema in store/db.ts) runs SQL', () => {
    const root = resolve(__dirname, '../../..');
    const files = (function walk(d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
    })(join(root, 'main'));
    const sql = /\.(prepare|exec)\(\s*`\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH)\b/i;
    const offenders = files
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith('main/engine/store/tables/') && f !== 'main/engine/store/db.ts')
      .filter((f) => sql.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
