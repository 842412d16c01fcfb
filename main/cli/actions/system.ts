import { buildCacheRecords, checkStore, diskUsage, humanAgo, humanSize, parseTimeFilter, pruneImages, shortId, splitRepoTag } from '../../engine/index.js';
import { formatTemplate, tabwriter } from '../format.js';
import { ExitCode, out } from '../output.js';
import { confirm } from './images.js';
import { withEngine } from './with-engine.js';
import { writeOut } from '../stdout.js';

/** docker's units.HumanSize (4 significant digits), which `system df` uses. */
const dfSize = (bytes: number): string => humanSize(bytes, 4);

function pct(part: number, total: number): string {
  return total > 0 ? ` (${Math.floor((part * 100) / total)}%)` : '';
}

export async function df(opts: { verbose?: boolean; format?: string }): Promise<void> {
  await withEngine(async (engine) => {
    const u = diskUsage(engine.images);
    // docker's formatter: shared records count in neither size; reclaimable = not in use, not shared
    const cache = await buildCacheRecords(engine);
    const cacheSize = cache.filter((r) => !r.shared).reduce((n, r) => n + r.size, 0);
    const cacheReclaimable = cache.filter((r) => !r.shared && !r.inUse).reduce((n, r) => n + r.size, 0);
    const vols = engine.volumes.usage();
    const volSize = vols.reduce((a, v) => a + v.UsageData!.Size, 0);
    const volFree = vols.filter((v) => v.UsageData!.RefCount === 0).reduce((a, v) => a + v.UsageData!.Size, 0);
    if (!opts.verbose) {
      const rows = [
        { Type: 'Images', TotalCount: String(u.images.length), Active: String(u.imagesActive), Size: dfSize(u.imagesSize), Reclaimable: `${dfSize(u.imagesReclaimable)}${pct(u.imagesReclaimable, u.imagesSize)}` },
        { Type: 'Containers', TotalCount: String(u.containers.length), Active: String(u.containersActive), Size: dfSize(u.containersSize), Reclaimable: `${dfSize(u.containersReclaimable)}${pct(u.containersReclaimable, u.containersSize)}` },
        { Type: 'Local Volumes', TotalCount: String(vols.length), Active: String(vols.filter((v) => v.UsageData!.RefCount > 0).length), Size: dfSize(volSize), Reclaimable: `${dfSize(volFree)}${pct(volFree, volSize)}` },
        { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((r) => r.inUse).length), Size: dfSize(cacheSize), Reclaimable: dfSize(cacheReclaimable) },
      ];
      const def = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
      writeOut(formatTemplate(opts.format ?? def, rows, { headers: { TotalCount: 'TOTAL' }, defaultTable: def.slice(6) }));
      return;
    }
    out('Images space usage:\n');
    const img = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'].join('\t')];
    for (const i of u.images) {
      const names = i.image.tags.length ? i.image.tags.map(splitRepoTag) : [['<none>', '<none>']];
      for (const [repo, tag] of names) {
        img.push([repo, tag, shortId(i.image.id), humanAgo(i.image.created), dfSize(i.image.size), dfSize(i.sharedSize), dfSize(i.uniqueSize), String(i.containers)].join('\t'));
      }
    }
    writeOut(tabwriter(img));
    out('\nContainers space usage:\n');
    const ctr = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'].join('\t')];
    for (const c of u.containers) {
      const cmd = c.command.length > 20 ? `"${c.command.slice(0, 19)}…"` : `"${c.command}"`;
      ctr.push([shortId(c.id), c.imageRef, cmd, String(c.localVolumes), dfSize(c.size), humanAgo(c.created), c.status, c.name].join('\t'));
    }
    writeOut(tabwriter(ctr));
    out('\nLocal Volumes space usage:\n');
    writeOut(tabwriter(['VOLUME NAME\tLINKS\tSIZE', ...vols.map((v) => `${v.Name}\t${v.UsageData!.RefCount}\t${dfSize(v.UsageData!.Size)}`)]));
    out(`\nBuild cache usage: ${dfSize(cacheSize)}\n`);
    const bc = [['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'].join('\t')];
    for (const r of cache) bc.push([r.id.slice(0, 12), r.type, dfSize(r.size), humanAgo(r.createdAt), humanAgo(r.lastUsedAt), String(r.usageCount), String(r.shared)].join('\t'));
    writeOut(tabwriter(bc));
  });
}

export async function check(opts: { repair?: boolean }): Promise<void> {
  const r = await withEngine((engine) => checkStore(engine.store, { repair: opts.repair }));
  for (const p of r.problems) out(`${p.kind}: ${p.detail}${p.repaired ? ` -> ${p.repaired}` : ''}`);
  if (r.remaining > 0) {
    process.stderr.write(`Error: ${r.remaining} problem(s) found in the store${opts.repair ? ' that --repair could not fix' : '; run `slipway system check --repair` to fix what can be fixed'}\n`);
    throw new ExitCode(1);
  }
  out(`Store OK: ${r.checkedImages} image(s), ${r.checkedBlobs} blob(s) verified${r.problems.length ? `, ${r.problems.length} problem(s) repaired` : ''}`);
}


export async function systemPrune(opts: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  if (!opts.force) {
    const lines = [
      'WARNING! This will remove:',
      '  - all stopped containers',
      opts.all ? '  - all images without at least one container associated to them' : '  - all dangling images',
      '',
      'Are you sure you want to continue?',
    ];
    if (!(await confirm(lines.join('\n')))) return;
  }
  await withEngine(async (engine) => {
    let reclaimed = 0;
    const filters = opts.filter ?? [];
    const until = filters.find((f) => f.startsWith('until='));
    const removed = await engine.containers.prune({
      labels: filters.filter((f) => f.startsWith('label=')).map((f) => f.slice(6)),
      until: until ? parseTimeFilter(until.slice(6), 'until filter') : undefined,
    });
    if (removed.length) {
      out('Deleted Containers:');
      for (const id of removed) out(id);
      out('');
    }
    const r = pruneImages(engine.images, { all: opts.all, filters: opts.filter });
    if (r.events.length) {
      out('Deleted Images:');
      for (const e of r.events) out(e.kind === 'Untagged' ? `untagged: ${e.name}` : `deleted: ${e.id}`);
      out('');
    }
    reclaimed += r.reclaimed;
    out(`Total reclaimed space: ${humanSize(reclaimed)}`);
  });
}

/** `system restore`: the always/unless-stopped containers that are not running are started; prints each. */
export async function restore(): Promise<void> {
  await withEngine(async (engine) => {
    let failed = false;
    for (const r of await engine.containers.restore()) {
      if (r.error) {
        failed = true;
        process.stderr.write(`Error: ${r.error}\n`);
      } else out(r.name);
    }
    if (failed) throw new ExitCode(1);
  });
}
