import { bytesSize, cpuPercent, Engine, humanSize, memoryUsed, netTotals, shortId, type ContainerRecord, type StatsSample } from '../../engine/index.js';
import { formatTemplate } from '../format.js';
import { writeOut } from '../stdout.js';

const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const STATS_HEADERS = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };

function row(ref: string, rec: ContainerRecord, cur: StatsSample | undefined, prev: StatsSample | undefined, noTrunc: boolean) {
  const id = noTrunc ? rec.id : shortId(rec.id);
  if (!cur) return { Container: ref, ID: id, Name: rec.name, CPUPerc: '0.00%', MemUsage: '0B / 0B', MemPerc: '0.00%', NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: '0' };
  const mem = memoryUsed(cur);
  const net = netTotals(cur);
  return {
    Container: ref, ID: id, Name: rec.name,
    CPUPerc: `${cpuPercent(cur, prev).toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(cur.memLimit)}`,
    MemPerc: `${(cur.memLimit ? (mem / cur.memLimit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(net.rx)} / ${humanSize(net.tx)}`,
    BlockIO: `${humanSize(cur.blkRead)} / ${humanSize(cur.blkWrite)}`,
    PIDs: String(cur.pids),
  };
}

/**
 * docker stats: a reading of each container a second apart (CPU % needs two), printed as
 * docker's table or --format; without --no-stream the screen is redrawn every second.
 */
export async function stats(names: string[], o: { all?: boolean; stream?: boolean; noTrunc?: boolean; format?: string }): Promise<void> {
  const engine = new Engine();
  try {
    const pick = async () => (names.length
      ? Promise.all(names.map(async (n) => ({ ref: n, rec: await engine.containers.get(n) })))
      : (await engine.containers.list({ all: o.all })).map((rec) => ({ ref: shortId(rec.id), rec })));
    const tpl = o.format ?? STATS_TABLE;
    const sample = (ts: { rec: ContainerRecord }[]) => new Map(ts.map((t) => [t.rec.id, engine.containers.stats(t.rec)]));
    let prev = sample(await pick());
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const targets = await pick();
      const now = sample(targets);
      const text = formatTemplate(tpl, targets.map((t) => row(t.ref, t.rec, now.get(t.rec.id), prev.get(t.rec.id), !!o.noTrunc)), { headers: STATS_HEADERS, defaultTable: STATS_TABLE.slice(6) });
      if (o.stream === false) {
        writeOut(text);
        return;
      }
      writeOut(`\x1b[2J\x1b[H${text}`);
      prev = now;
    }
  } finally {
    engine.close();
  }
}
