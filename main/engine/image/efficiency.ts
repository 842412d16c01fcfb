import type { LayerFile } from '../layer/files.js';

/**
 * "Why is my image this big?": what dive shows, computed from the per-layer file lists the
 * layer explorer already reads (layer/files.ts). Pure: the caller reads the layers.
 *
 * The layers are stacked oldest first into the tree the image finally shows. Every file
 * entry is an "occurrence" of its path; a whiteout is an occurrence whose size is what it
 * hid (the whole subtree, for a directory), and an opaque directory hides its lower
 * contents the same way, path by path.
 *
 *   wastedBytes = bytes stored in the layers that the final image does not show: files a
 *                 later layer overwrote, deleted (whiteout) or hid (opaque directory).
 *   score       = dive's efficiency: sum over paths of the smallest occurrence size /
 *                 sum over paths of all occurrence sizes (1 when nothing is stored).
 *                 A path written once scores 1; written then deleted it counts its size
 *                 twice (the file and the whiteout's hidden bytes) and its minimum once.
 *
 * dive's "potential wasted space" adds up every occurrence of a path seen in two or more
 * layers (the surviving copy too); wastedBytes counts only the bytes nobody can see, which
 * is what a rewrite of the Dockerfile could save.
 */

export interface EfficiencyLayer {
  files: LayerFile[];
  /** the layer's size as the store records it (its unpacked tar) */
  size: number;
}

export interface WastedPath {
  path: string;
  /** how many layers hold an entry (a file or a whiteout) for it */
  occurrences: number;
  /** bytes of it stored that the final image does not show */
  wastedBytes: number;
  /** dive's cumulative size: every occurrence's bytes */
  cumulativeBytes: number;
  /** the layers that wrote it (oldest first) */
  layers: number[];
  /** whether the final image still has it */
  present: boolean;
}

export interface LargeFile {
  path: string;
  size: number;
  layer: number;
  /** false when a later layer overwrote or deleted it */
  present: boolean;
}

export interface LargeDir {
  path: string;
  /** bytes of files under it, summed over all layers */
  size: number;
  /** of which the final image still shows */
  presentSize: number;
}

export interface LayerWaste {
  index: number;
  size: number;
  /** bytes this layer stored that later layers hide */
  wastedBytes: number;
  files: number;
}

export interface Efficiency {
  /** bytes of file data in all layers */
  totalBytes: number;
  /** bytes of file data the final image shows */
  finalBytes: number;
  wastedBytes: number;
  score: number;
  wasted: WastedPath[];
  largestFiles: LargeFile[];
  largestDirs: LargeDir[];
  layers: LayerWaste[];
}

interface Visible {
  size: number;
  layer: number;
  dir: boolean;
}

interface Occ {
  sizes: number[];
  layers: number[];
  wasted: number;
}

/** The efficiency of an image from its layers' file lists, oldest layer first. */
export function computeEfficiency(layers: EfficiencyLayer[], o: { top?: number } = {}): Efficiency {
  const top = o.top ?? 10;
  const visible = new Map<string, Visible>();
  const occ = new Map<string, Occ>();
  const layerWaste = layers.map((l, i) => ({ index: i, size: l.size, wastedBytes: 0, files: 0 }));
  const stored: LargeFile[] = [];
  let totalBytes = 0;

  const occurrence = (path: string, size: number, layer: number): Occ => {
    let e = occ.get(path);
    if (!e) occ.set(path, (e = { sizes: [], layers: [], wasted: 0 }));
    e.sizes.push(size);
    e.layers.push(layer);
    return e;
  };
  /** Hide `path` (and, when `self` is false, only what is below it); returns the bytes hidden. */
  // the visible tree's directories -> their visible entries, so hiding a directory walks its
  // subtree only (a scan of the whole map per whiteout was seconds on a 50k-file image)
  const children = new Map<string, Set<string>>();
  const parentOf = (p: string) => p.slice(0, Math.max(1, p.lastIndexOf('/')));
  const show = (p: string, v: Visible) => {
    visible.set(p, v);
    const d = parentOf(p);
    let set = children.get(d);
    if (!set) children.set(d, (set = new Set()));
    set.add(p);
  };
  /** Hide `path` (and, when `self` is false, only what is below it); returns the bytes hidden. */
  const hide = (path: string, self: boolean, each: (p: string, v: Visible) => void): number => {
    let hidden = 0;
    const drop = (p: string, v: Visible) => {
      visible.delete(p);
      children.get(parentOf(p))?.delete(p);
      if (v.dir) return;
      hidden += v.size;
      layerWaste[v.layer]!.wastedBytes += v.size;
      const oc = occ.get(p);
      if (oc) oc.wasted += v.size;
      each(p, v);
    };
    const below = (d: string) => {
      const kids = children.get(d);
      if (!kids) return;
      children.delete(d);
      for (const k of kids) {
        const v = visible.get(k);
        if (!v) continue;
        if (v.dir) below(k);
        drop(k, v);
      }
    };
    const here = visible.get(path);
    if (here?.dir || path === '/') below(path);
    if (self && here) drop(path, here);
    return hidden;
  };

  layers.forEach((layer, li) => {
    for (const f of layer.files) {
      if (f.mark === 'deleted') {
        const hidden = hide(f.path, true, () => {});
        occurrence(f.path, hidden, li);
        continue;
      }
      if (f.mark === 'opaque') {
        // each path it hides gets a whiteout-like occurrence of its own size
        hide(f.path, false, (p, v) => occurrence(p, v.size, li));
      }
      const dir = f.type === 'dir';
      const before = visible.get(f.path);
      if (before && !(before.dir && dir)) hide(f.path, true, () => {});
      if (before?.dir && !dir) hide(f.path, false, () => {});
      show(f.path, { size: dir ? 0 : f.size, layer: li, dir });
      // a directory is an occurrence too (of 0 bytes), as in dive: its later whiteout then scores
      occurrence(f.path, dir ? 0 : f.size, li);
      if (dir) continue;
      layerWaste[li]!.files++;
      totalBytes += f.size;
      stored.push({ path: f.path, size: f.size, layer: li, present: true });
    }
  });

  let minSum = 0;
  let cumSum = 0;
  const wasted: WastedPath[] = [];
  for (const [path, e] of occ) {
    const cum = e.sizes.reduce((a, b) => a + b, 0);
    minSum += Math.min(...e.sizes);
    cumSum += cum;
    if ((e.sizes.length > 1 && cum > 0) || e.wasted > 0) {
      wasted.push({ path, occurrences: e.sizes.length, wastedBytes: e.wasted, cumulativeBytes: cum, layers: [...new Set(e.layers)], present: visible.has(path) });
    }
  }
  wasted.sort((a, b) => b.wastedBytes - a.wastedBytes || b.cumulativeBytes - a.cumulativeBytes || (a.path < b.path ? -1 : 1));

  for (const s of stored) {
    const v = visible.get(s.path);
    s.present = !!v && v.layer === s.layer;
  }
  const largestFiles = stored.filter((s) => s.size > 0).sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)).slice(0, top);

  const dirs = new Map<string, LargeDir>();
  for (const s of stored) {
    for (let i = s.path.lastIndexOf('/'); i > 0; i = s.path.lastIndexOf('/', i - 1)) {
      const d = s.path.slice(0, i);
      let e = dirs.get(d);
      if (!e) dirs.set(d, (e = { path: d, size: 0, presentSize: 0 }));
      e.size += s.size;
      if (s.present) e.presentSize += s.size;
    }
  }
  const largestDirs = [...dirs.values()].filter((d) => d.size > 0).sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)).slice(0, top);

  const wastedBytes = layerWaste.reduce((a, l) => a + l.wastedBytes, 0);
  return {
    totalBytes,
    finalBytes: totalBytes - wastedBytes,
    wastedBytes,
    score: cumSum === 0 ? 1 : minSum / cumSum,
    wasted: wasted.slice(0, Math.max(top, 50)),
    largestFiles,
    largestDirs,
    layers: layerWaste,
  };
}
