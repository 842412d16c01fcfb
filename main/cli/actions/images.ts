import { withEngine } from './with-engine.js';
import { createInterface } from 'node:readline';
import { Engine, EngineError, familiarName, humanAgo, humanSize, imageHistory, importRootfs, inspectImage, InvalidArgumentError, InvalidReferenceError, isReference, loadArchive, containerCounts, filterImages, globToRegExp, NotFoundError, pruneImages, referenceProblem, removeImage, repoDigests, saveImages, seedBusybox, shortId, splitRepoTag, type RemoveEvent } from '../../engine/index.js';
import { formatEach, formatTemplate } from '../format.js';
import { goTime } from '../go-time.js';
import { ExitCode, out } from '../output.js';
import { stdout, writeOut } from '../stdout.js';



/** Ask docker's y/N question on stderr; anything but y/yes is no. */
export async function confirm(question: string): Promise<boolean> {
  process.stderr.write(`${question} [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const line = await new Promise<string>((res) => {
    rl.once('line', res);
    rl.once('close', () => res(''));
  });
  rl.close();
  return /^y(es)?$/i.test(line.trim());
}

// ------------------------------------------------------------------ load / save / import / seed

export async function load(opts: { input?: string; quiet?: boolean }): Promise<void> {
  if (!opts.input && process.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is empty');
  await withEngine(async (engine) => {
    const loaded = await loadArchive(engine, opts.input ?? process.stdin, opts.input ?? 'stdin');
    if (opts.quiet) return;
    for (const img of loaded) {
      for (const r of img.retagged) out(`The image ${familiarName(r.name)} already exists, renaming the old one with ID ${r.previousId} to empty string`);
      if (img.tags.length === 0) out(`Loaded image ID: ${img.id}`);
      for (const t of img.tags) out(`Loaded image: ${familiarName(t)}`);
    }
  });
}

export async function save(images: string[], opts: { output?: string; format?: string }): Promise<void> {
  const format = (opts.format ?? 'docker-archive') as 'docker-archive' | 'oci-archive';
  if (!opts.output && process.stdout.isTTY) {
    throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  await withEngine(async (engine) => {
    if (opts.output) await saveImages(engine, images, opts.output, format);
    else {
      await saveImages(engine, images, stdout(), format);
      await new Promise<void>((res) => stdout().write('', () => res()));
    }
  });
}

export async function importImage(file: string, ref: string | undefined, opts: { change?: string[]; message?: string }): Promise<void> {
  await withEngine(async (engine) => {
    const img = await importRootfs(engine, file === '-' ? process.stdin : file, { ref, changes: opts.change ?? [], message: opts.message });
    out(img.id);
  });
}

export async function seed(): Promise<void> {
  await withEngine(async (engine) => {
    const { image, busybox } = await seedBusybox(engine);
    process.stderr.write(`Made busybox:latest from the host's busybox-static (${busybox}), no network needed\n`);
    out(`Seeded image: busybox:latest (${image.id})`);
  });
}

// ------------------------------------------------------------------ images

export interface ImagesOptions {
  quiet?: boolean;
  all?: boolean;
  noTrunc?: boolean;
  digests?: boolean;
  filter?: string[];
  format?: string;
}

interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
  Containers: string;
}

/** The images and rows `slipway images` shows, after -a and --filter. */
export function imageRows(engine: Engine, opts: ImagesOptions, repoArg?: string): ImageRow[] {
  const imagesStore = engine.images;
  const { images: list, references: refFilters } = filterImages(engine, { all: opts.all, filters: opts.filter });
  const counts = containerCounts(engine);
  const rows: ImageRow[] = [];
  for (const img of list) {
    const digests = repoDigests(imagesStore, img);
    const names = img.tags.length ? img.tags.map(splitRepoTag) : [['<none>', '<none>'] as [string, string]];
    for (const [repo, tag] of names) {
      if (repoArg) {
        const [wantRepo, wantTag] = repoArg.includes(':') ? splitRepoTag(familiarName(repoArg)) : [repoArg, undefined];
        if (!globToRegExp(wantRepo).test(repo) || (wantTag && !globToRegExp(wantTag).test(tag))) continue;
      }
      if (refFilters.length && !refFilters.some((r) => r.test(`${repo}:${tag}`) || r.test(repo))) continue;
      if (refFilters.length && repo === '<none>') continue;
      rows.push({
        ID: opts.noTrunc ? img.id : shortId(img.id),
        Repository: repo,
        Tag: tag,
        Digest: digests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>',
        CreatedSince: humanAgo(img.created),
        CreatedAt: goTime(img.created),
        Size: humanSize(img.size),
        SharedSize: 'N/A',
        UniqueSize: 'N/A',
        VirtualSize: humanSize(img.size),
        Containers: String(counts.get(img.id) ?? 0),
      });
    }
  }
  return rows;
}

const IMAGE_HEADERS = { ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE', Digest: 'DIGEST' };

export async function images(repo: string | undefined, opts: ImagesOptions): Promise<void> {
  await withEngine((engine) => {
    const rows = imageRows(engine, opts, repo);
    if (opts.quiet) {
      // one line per row, repeated for an image with several names, as docker prints them
      for (const r of rows) out(r.ID);
      return;
    }
    const def = `table {{.Repository}}\t{{.Tag}}\t${opts.digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
    const tpl = opts.format ?? def;
    writeOut(formatTemplate(tpl, rows, { headers: IMAGE_HEADERS, defaultTable: def.slice(6) }));
  });
}

// ------------------------------------------------------------------ inspect

export async function inspectImageJSON(engine: Engine, ref: string): Promise<object> {
  return inspectImage(engine.images, engine.images.resolve(ref));
}

function isNotFound(e: unknown): boolean {
  return e instanceof NotFoundError || (e instanceof EngineError && e.code === 'NOT_FOUND');
}

/**
 * `inspect` and `image inspect`: a JSON array (or --format per object); names that match nothing
 * are reported after the output, one line each, and the exit code is 1 (docker's behaviour).
 */
export async function inspect(names: string[], opts: { format?: string; type?: string; imageOnly?: boolean }): Promise<void> {
  const type = opts.imageOnly ? 'image' : opts.type;
  if (type && type !== 'image' && type !== 'container' && type !== 'volume') throw new InvalidArgumentError(`"${type}" is not a valid value for --type`);
  await withEngine(async (engine) => {
    const found: object[] = [];
    const missing: string[] = [];
    const ctr = type === 'image' ? undefined : (await import('./containers.js')).inspectContainerJSON;
    const what = type ?? 'object';
    for (const name of names) {
      if (type === 'volume' || (!type && engine.volumes.has(name) && !(isReference(name) && engine.images.find(name)) && !engine.containers.find(name))) {
        try {
          found.push(engine.volumes.inspect(name));
        } catch {
          missing.push(`No such volume: ${name}`);
        }
        continue;
      }
      if (type === 'image' && !isReference(name)) {
        // docker: "no such image: Busybox: invalid reference format: repository name must be lowercase"
        missing.push(`no such image: ${name}: ${referenceProblem(name)}`);
        continue;
      }
      // Not a reference can still be a container's name (they may have upper case).
      if (type !== 'container' && isReference(name) && engine.images.find(name)) {
        found.push(await inspectImageJSON(engine, name));
        continue;
      }
      if (ctr) {
        try {
          const c = await ctr(engine, name);
          if (c) {
            found.push(c);
            continue;
          }
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      missing.push(`No such ${what}: ${name}`);
    }
    if (opts.format) writeOut(formatEach(opts.format, found));
    else writeOut(`${JSON.stringify(found, null, 4)}\n`);
    for (const m of missing) process.stderr.write(`Error: ${m}\n`);
    if (missing.length) throw new ExitCode(1);
  });
}

// ------------------------------------------------------------------ history

export async function history(name: string, opts: { quiet?: boolean; noTrunc?: boolean; human?: string | boolean; format?: string }): Promise<void> {
  const humanOpt = typeof opts.human === 'string' ? opts.human.replace(/^=/, '') : opts.human;
  const human = !(humanOpt === false || humanOpt === 'false' || humanOpt === '0');
  await withEngine((engine) => {
    const img = engine.images.resolve(name);
    const hist = imageHistory(engine.images, img);
    const rows = hist.map((h) => {
      let createdBy = h.createdBy.replace(/\t/g, ' ');
      if (!opts.noTrunc && [...createdBy].length > 45) createdBy = `${[...createdBy].slice(0, 44).join('')}…`;
      return {
        ID: h.id === '<missing>' ? h.id : opts.noTrunc ? h.id : shortId(h.id),
        CreatedSince: human ? (h.created ? humanAgo(h.created) : 'N/A') : h.created,
        CreatedAt: h.created,
        CreatedBy: createdBy,
        Size: human ? humanSize(h.size) : String(h.size),
        Comment: h.comment,
      };
    });
    if (opts.quiet) {
      for (const r of rows) out(r.ID);
      return;
    }
    const def = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
    writeOut(
      formatTemplate(opts.format ?? def, rows, {
        headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
        defaultTable: def.slice(6),
      }),
    );
  });
}

// ------------------------------------------------------------------ tag / rmi / prune

export async function tag(src: string, target: string): Promise<void> {
  // docker's CLI words for either name that is not a reference
  for (const [n, ids] of [[src, true], [target, false]] as const) {
    const problem = referenceProblem(n, ids);
    if (problem) throw new InvalidReferenceError(`Error parsing reference: "${n}" is not a valid repository/tag: ${problem}`, n);
  }
  await withEngine((engine) => engine.images.tag(src, target));
}

function printEvents(events: RemoveEvent[], lower = false): void {
  for (const e of events) {
    const k = lower ? e.kind.toLowerCase() : e.kind;
    out(e.kind === 'Untagged' ? `${k}: ${e.name}` : `${k}: ${e.id}`);
  }
}

export async function rmi(names: string[], opts: { force?: boolean }): Promise<void> {
  let failed = false;
  await withEngine((engine) => {
    for (const n of names) {
      try {
        printEvents(removeImage(engine.images, n, !!opts.force).events);
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        process.stderr.write(`Error: ${e.message}\n`);
        failed = true;
      }
    }
  });
  if (failed) throw new ExitCode(1);
}

export async function imagePrune(opts: { all?: boolean; force?: boolean; filter?: string[] }): Promise<void> {
  if (!opts.force) {
    const what = opts.all ? 'all images without at least one container associated to them' : 'all dangling images';
    if (!(await confirm(`WARNING! This will remove ${what}.\nAre you sure you want to continue?`))) return;
  }
  await withEngine((engine) => {
    const r = pruneImages(engine.images, { all: opts.all, filters: opts.filter });
    if (r.events.length) {
      out('Deleted Images:');
      printEvents(r.events, true);
      out('');
    }
    out(`Total reclaimed space: ${humanSize(r.reclaimed)}`);
  });
}
