import { readFile } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import { computeEfficiency, type Efficiency } from '../image/efficiency.js';
import { parseDockerfileCached, type Instruction } from '../builder/dockerfile.js';
import { buildsTable } from '../store/tables/builds.js';
import { imageLayerFiles, pairHistory } from './images.js';

/** The Dockerfile line a layer came from, when a build on this host made the image. */
export interface DockerfileLine {
  file: string;
  line: number;
  text: string;
}

export interface ImageEfficiency extends Omit<Efficiency, 'layers'> {
  id: string;
  tags: string[];
  size: number;
  /** a layer had more entries than are read (the figures cover what was read) */
  truncated: boolean;
  layers: (Efficiency['layers'][number] & { createdBy: string; dockerfile: DockerfileLine | null })[];
}

/** Entries read per layer: enough for any ordinary image, bounded for a pathological one. */
const LAYER_LIMIT = 200_000;

/** `slipway image inspect --efficiency`, the Image page's Size section. */
export async function imageEfficiency(engine: Engine, ref: string, o: { top?: number } = {}): Promise<ImageEfficiency> {
  const img = engine.images.resolve(ref);
  const lists = [];
  let truncated = false;
  for (let i = 0; i < img.layers.length; i++) {
    const r = await imageLayerFiles(engine, img.id, i, LAYER_LIMIT);
    truncated ||= r.truncated;
    lists.push({ files: r.files, size: img.layers[i]!.size });
  }
  const eff = computeEfficiency(lists, o);
  const history = pairHistory(engine.images.config(img), img);
  const byLayer = new Map(history.filter((h) => h.layerIndex !== null).map((h) => [h.layerIndex!, h.createdBy]));
  const lines = await dockerfileLines(engine, img.id, img.layers.map((_, i) => byLayer.get(i) ?? ''));
  return {
    ...eff,
    id: img.id,
    tags: img.tags,
    size: img.size,
    truncated,
    layers: eff.layers.map((l) => ({ ...l, createdBy: byLayer.get(l.index) ?? '', dockerfile: lines[l.index] ?? null })),
  };
}

/** "RUN /bin/sh -c dd if=... # buildkit" -> keyword RUN */
function keywordOf(createdBy: string): string {
  return /^\s*([A-Z]+)\b/.exec(createdBy)?.[1] ?? '';
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Pair each layer's history text with the instruction of the build's last stage that wrote
 * it, walking both from the end (the base image's layers come first and have no line here):
 * same keyword, and the instruction's arguments appear in the history text.
 */
export async function dockerfileLines(engine: Engine, imageId: string, createdBy: string[]): Promise<(DockerfileLine | null)[]> {
  const out: (DockerfileLine | null)[] = createdBy.map(() => null);
  const build = buildsTable.latestFor(engine.store.db, imageId);
  if (!build || build.dockerfile === '-') return out;
  const text = await readFile(build.dockerfile, 'utf8').catch(() => '');
  if (!text) return out;
  let stage: Instruction[];
  try {
    const df = await parseDockerfileCached(engine.store.db, text, build.dockerfile);
    const target = build.target?.toLowerCase();
    const last = target ? df.stages.find((s) => s.name === target) : df.stages[df.stages.length - 1];
    stage = last?.instructions ?? [];
  } catch {
    return out;
  }
  let j = stage.length - 1;
  for (let i = createdBy.length - 1; i >= 0 && j >= 0; i--) {
    const cb = createdBy[i]!;
    if (!cb.endsWith('# buildkit')) break; // a base image's layer: the stage starts above it
    const kw = keywordOf(cb);
    const body = squash(cb);
    let k = j;
    while (k >= 0 && !(stage[k]!.keyword === kw && body.includes(squash(stage[k]!.args).slice(0, 200)))) k--;
    if (k < 0) continue;
    out[i] = { file: build.dockerfile, line: stage[k]!.line, text: stage[k]!.text };
    j = k - 1;
  }
  return out;
}
