import { errorMessage, humanSize, InvalidArgumentError, type Volume } from '../../engine/index.js';
import { formatEach, formatTemplate } from '../format.js';
import { ExitCode, out, printJSON } from '../output.js';
import { withEngine } from './with-engine.js';
import { labelMap } from '../flags/env.js';
import { writeOut } from '../stdout.js';

/** KEY=VALUE flags as a map (--opt; the value may itself hold "="). */
function optMap(values: string[], flag: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`invalid argument "${v}" for "${flag}" flag: bad format, use KEY=VALUE`);
    m[v.slice(0, i)] = v.slice(i + 1);
  }
  return m;
}

export async function create(name: string | undefined, o: { driver?: string; name?: string; label?: string[]; opt?: string[] }): Promise<void> {
  if (name && o.name && name !== o.name) throw new InvalidArgumentError(`conflicting options: either specify --name or provide positional arg, not both`);
  await withEngine((engine) => {
    const v = engine.volumes.create({ Name: name ?? o.name ?? '', Driver: o.driver, DriverOpts: optMap(o.opt ?? [], '--opt'), Labels: labelMap(o.label ?? []) });
    out(v.Name);
  });
}

const HEADERS = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' };

/** One row as docker's volume formatter shows it (Labels as k=v,k=v; Links/Size "N/A" outside df). */
function row(v: Volume) {
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? (v.UsageData.Size < 0 ? 'N/A' : humanSize(v.UsageData.Size, 4)) : 'N/A',
  };
}

export async function ls(o: { filter?: string[]; format?: string; quiet?: boolean }): Promise<void> {
  await withEngine((engine) => {
    const vols = engine.volumes.list(o.filter ?? []);
    if (o.quiet) {
      for (const v of vols) out(v.Name);
      return;
    }
    const def = 'table {{.Driver}}\t{{.Name}}';
    writeOut(formatTemplate(o.format ?? def, vols.map(row), { headers: HEADERS, defaultTable: def.slice(6) }));
  });
}

export async function inspect(names: string[], o: { format?: string }): Promise<void> {
  await withEngine((engine) => {
    const found: Volume[] = [];
    const missing: string[] = [];
    for (const n of names) {
      try {
        found.push(engine.volumes.inspect(n));
      } catch (e) {
        missing.push(errorMessage(e));
      }
    }
    if (o.format) writeOut(formatEach(o.format, found));
    else printJSON(found);
    for (const m of missing) process.stderr.write(`Error: ${m}\n`);
    if (missing.length) throw new ExitCode(1);
  });
}

export async function rm(names: string[], o: { force?: boolean }): Promise<void> {
  await withEngine((engine) => {
    let failed = false;
    for (const n of names) {
      try {
        engine.volumes.remove(n, { force: o.force });
        out(n);
      } catch (e) {
        failed = true;
        process.stderr.write(`Error: ${errorMessage(e)}\n`);
      }
    }
    if (failed) throw new ExitCode(1);
  });
}

export async function prune(o: { all?: boolean; filter?: string[]; force?: boolean }): Promise<void> {
  if (!o.force) {
    const { confirm } = await import('./images.js');
    const what = o.all ? 'all local volumes' : 'anonymous local volumes';
    if (!(await confirm(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue?`))) return;
  }
  await withEngine((engine) => {
    const r = engine.volumes.prune({ filters: o.filter ?? [], all: o.all });
    if (r.VolumesDeleted.length) writeOut(`Deleted Volumes:\n${r.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`);
    writeOut(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
  });
}
