import { imagesTable } from './tables/images.js';
import { containersTable } from './tables/containers.js';
import { lineageTable } from './tables/lineage.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, lstatSync } from 'node:fs';
import { volumesTable } from './tables/volumes.js';
import { join } from 'node:path';
import type { Store } from './store.js';
import { sha256File, hexOf } from '../util/digest.js';
import { Snapshots } from './snapshots.js';
import { errorMessage } from '../model/errors.js';
import { familiarName } from '../image/reference.js';
import { foreignBlobRefs, foreignChainRefs } from '../image/refs.js';
import type { OCIIndex } from '../image/types.js';

/**
 * `slipway system check [--repair]`: does every row point at content that is there and intact,
 * and is every file on disk accounted for? The crash-ordering rules (DESIGN.md) promise that a
 * crash leaves only unreferenced files; this finds them, and anything worse.
 */
export interface Problem {
  kind:
    | 'corrupt-blob' | 'missing-blob' | 'missing-snapshot' | 'orphan-blob' | 'orphan-snapshot'
    | 'orphan-layer-row' | 'temp-file' | 'orphan-container-dir' | 'missing-container-dir'
    | 'stale-index' | 'database' | 'orphan-volume-dir' | 'missing-volume-dir';
  detail: string;
  /** what --repair did (or why it could not) */
  repaired?: string;
}

export interface CheckResult {
  problems: Problem[];
  /** problems left after --repair */
  remaining: number;
  checkedBlobs: number;
  checkedImages: number;
}

/** pid from our temp names: blob-<pid>-<hex>, .tmp-<x>-<pid>-<hex>, op-<pid>-<hex> */
function pidOf(name: string): number | undefined {
  const m = /-(\d+)-[0-9a-f]{8,12}$/.exec(name) ?? /^(?:blob|op)-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function alive(pid: number | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mountedUnder(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
      const mp = l.split(' ')[4];
      return !!mp && (mp === dir || mp.startsWith(`${dir}/`));
    });
  } catch {
    return false;
  }
}

export async function checkStore(store: Store, opts: { repair?: boolean } = {}): Promise<CheckResult> {
  const repair = !!opts.repair;
  const db = store.db;
  const paths = store.paths;
  const snaps = new Snapshots(paths);
  const problems: Problem[] = [];
  let remaining = 0;
  const note = (p: Problem, fixed: boolean): void => {
    problems.push(p);
    if (!fixed) remaining++;
  };

  const integrity = db.pragma('quick_check', { simple: true }) as string;
  if (integrity !== 'ok') note({ kind: 'database', detail: `slipway.db: ${integrity}` }, false);

  // Operations in flight (another live process is loading/importing): their new files have no rows yet.
  const busy = readdirSync(paths.tmp).filter((n) => n.startsWith('op-') && alive(pidOf(n)));

  // 1. temp files from interrupted writes
  const temps: string[] = [];
  for (const n of readdirSync(paths.tmp)) temps.push(join(paths.tmp, n));
  for (const n of snaps.listOnDisk().temps) temps.push(join(paths.snapshots, n));
  for (const n of readdirSync(paths.oci)) if (n.startsWith('.tmp-')) temps.push(join(paths.oci, n));
  for (const n of readdirSync(paths.blobsDir)) if (!/^[a-f0-9]{64}$/.test(n)) temps.push(join(paths.blobsDir, n));
  for (const t of temps) {
    if (alive(pidOf(t.split('/').pop()!))) continue;
    const fixed = repair;
    if (fixed) rmSync(t, { recursive: true, force: true });
    note({ kind: 'temp-file', detail: `${t}: left by an interrupted operation`, repaired: fixed ? 'deleted' : undefined }, fixed);
  }

  // 2. every blob's content matches its name
  const blobNames = readdirSync(paths.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n));
  const corrupt = new Set<string>();
  for (const hex of blobNames) {
    let got: string;
    try {
      got = await sha256File(paths.blob(hex));
    } catch (e) {
      got = `unreadable (${errorMessage(e)})`;
    }
    if (got !== `sha256:${hex}`) {
      corrupt.add(`sha256:${hex}`);
      if (repair) rmSync(paths.blob(hex), { force: true });
      note({ kind: 'corrupt-blob', detail: `blob sha256:${hex}: content digest is ${got}`, repaired: repair ? 'deleted (rows that need it are dropped below)' : undefined }, repair);
    }
  }
  const hasBlob = (d: string): boolean => store.blobs.has(d) && !corrupt.has(d);

  // 3. every image's manifest, config and layer blobs, and every layer's snapshot
  const images = imagesTable.all(db);
  const dropImages = new Map<string, string>();
  const layerRows = imagesTable.allImageLayers(db);
  for (const img of images) {
    for (const [what, d] of [['manifest', img.manifestDigest], ['config', img.configDigest]] as const) {
      if (!hasBlob(d)) {
        note({ kind: 'missing-blob', detail: `image ${img.id}: ${what} blob ${d} is missing` }, false);
        dropImages.set(img.id, `${what} blob missing`);
      }
    }
  }
  for (const l of layerRows) {
    if (!hasBlob(l.blobDigest)) {
      note({ kind: 'missing-blob', detail: `image ${l.imageId}: layer blob ${l.blobDigest} is missing` }, false);
      dropImages.set(l.imageId, 'layer blob missing');
    }
  }
  for (const c of imagesTable.layerRefcounts(db)) {
    if (c.refcount === 0 || snaps.has(c.chainId)) continue;
    const detail = `layer ${c.chainId}: snapshot directory ${snaps.path(c.chainId)} is missing`;
    const source = layerRows.find((l) => l.chainId === c.chainId && hasBlob(l.blobDigest));
    if (repair && source) {
      // The blob is intact: unpack the layer again rather than dropping the images on it.
      const { LayerIngest } = await import('../image/ingest.js');
      const { ImageStore } = await import('../image/images.js');
      const ingest = new LayerIngest(new ImageStore(store));
      try {
        await ingest.unpack(source.blobDigest, c.diffId, c.chainId, `layer ${c.chainId}`);
        note({ kind: 'missing-snapshot', detail, repaired: `unpacked again from blob ${source.blobDigest}` }, true);
        continue;
      } catch (e) {
        note({ kind: 'missing-snapshot', detail: `${detail}; unpacking it again failed: ${errorMessage(e)}` }, false);
      } finally {
        ingest.close();
      }
    } else {
      note({ kind: 'missing-snapshot', detail }, false);
    }
    for (const l of layerRows) if (l.chainId === c.chainId) dropImages.set(l.imageId, 'layer snapshot missing');
  }
  if (repair && dropImages.size) {
    for (const [id, why] of dropImages) {
      const c = containersTable.usingImage(db, id)[0];
      if (c) {
        problems.push({ kind: 'missing-blob', detail: `image ${id} (${why}) is used by container ${c.id.slice(0, 12)}`, repaired: 'not dropped: remove the container first' });
        continue;
      }
      const tx = db.transaction(() => {
        lineageTable.remove(db, id);
        // its layers stay as orphan rows here; step 4 below reports and repairs those
        imagesTable.removeKeepingLayers(db, id);
      });
      tx.immediate();
      problems.push({ kind: 'missing-blob', detail: `image ${id}: ${why}`, repaired: 'dropped the image rows (load or pull it again)' });
      remaining--;
    }
  }

  // 4. layer rows no image uses, snapshots with no row, blobs nobody references
  const orphanRows = imagesTable.layerRefcounts(db).filter((r) => r.refcount === 0).map((r) => r.chainId);
  for (const c of orphanRows) {
    const fixed = repair && busy.length === 0;
    if (fixed) imagesTable.removeLayer(db, c);
    note({ kind: 'orphan-layer-row', detail: `layer ${c}: no image uses it`, repaired: fixed ? 'row deleted' : undefined }, fixed);
  }
  const known = new Set(imagesTable.refs(db).chainIds.map(hexOf));
  const cached = new Set([...foreignChainRefs(store)].map(hexOf));
  for (const hex of snaps.listOnDisk().snapshots) {
    if (cached.has(hex)) continue;
    if (known.has(hex) && !orphanRows.includes(`sha256:${hex}`)) continue;
    if (known.has(hex) && !repair) continue; // reported as an orphan row above
    const fixed = repair && busy.length === 0;
    if (fixed) snaps.remove(`sha256:${hex}`);
    note({ kind: 'orphan-snapshot', detail: `snapshot ${hex}: no layer row`, repaired: fixed ? 'deleted' : busy.length ? 'kept: an operation is in progress' : undefined }, fixed);
  }
  const referenced = foreignBlobRefs(store);
  for (const d of imagesTable.refs(db).blobs) referenced.add(d);
  for (const hex of readdirSync(paths.blobsDir).filter((n) => /^[a-f0-9]{64}$/.test(n))) {
    if (referenced.has(`sha256:${hex}`)) continue;
    const fixed = repair && busy.length === 0;
    if (fixed) rmSync(paths.blob(hex), { force: true });
    note({ kind: 'orphan-blob', detail: `blob sha256:${hex}: no image references it`, repaired: fixed ? 'deleted' : busy.length ? 'kept: an operation is in progress' : undefined }, fixed);
  }

  // 5. container dirs and rows agree
  const ctrRows = new Map(containersTable.brief(db).map((r) => [r.id, r.state]));
  for (const n of existsSync(paths.containers) ? readdirSync(paths.containers) : []) {
    if (ctrRows.has(n)) continue;
    const dir = paths.container(n);
    if (!lstatSync(dir).isDirectory()) continue;
    // A container being created right now has its dir a moment before its row.
    const young = Date.now() - lstatSync(dir).mtimeMs < 2000;
    if (young) continue;
    const mounted = mountedUnder(dir);
    const fixed = repair && !mounted;
    if (fixed) rmSync(dir, { recursive: true, force: true });
    note({ kind: 'orphan-container-dir', detail: `${dir}: no container row`, repaired: fixed ? 'deleted' : mounted ? 'kept: something is mounted inside it' : undefined }, fixed);
  }
  for (const [id, state] of ctrRows) {
    if (existsSync(paths.container(id))) continue;
    const fixed = repair && state !== 'running' && state !== 'paused';
    if (fixed) containersTable.remove(db, id);
    note({ kind: 'missing-container-dir', detail: `container ${id.slice(0, 12)}: its directory is missing`, repaired: fixed ? 'row dropped' : undefined }, fixed);
  }

  // 6. volume dirs and rows agree (a crash between making a volume's dir and its row leaves the dir)
  const volRows = new Set(volumesTable.all(db).map((v) => v.name));
  for (const n of existsSync(paths.volumes) ? readdirSync(paths.volumes) : []) {
    const dir = join(paths.volumes, n);
    if (volRows.has(n) || !lstatSync(dir).isDirectory()) continue;
    if (Date.now() - lstatSync(dir).mtimeMs < 2000) continue; // being created right now
    const mounted = mountedUnder(dir);
    const fixed = repair && !mounted;
    if (fixed) rmSync(dir, { recursive: true, force: true });
    note({ kind: 'orphan-volume-dir', detail: `${dir}: no volume row`, repaired: fixed ? 'deleted' : mounted ? 'kept: something is mounted inside it' : undefined }, fixed);
  }
  for (const n of volRows) {
    if (existsSync(paths.volumeData(n))) continue;
    if (repair) mkdirSync(paths.volumeData(n), { recursive: true, mode: 0o755 });
    note({ kind: 'missing-volume-dir', detail: `volume ${n}: its directory is missing`, repaired: repair ? 'recreated empty' : undefined }, repair);
  }

  // 7. index.json says what the database says
  const want = new Set(
    imagesTable.manifestsByTag(db).map((r) => `${r.digest} ${r.name ? familiarName(r.name) : ''}`),
  );
  let have = new Set<string>();
  try {
    const idx = JSON.parse(readFileSync(paths.ociIndex, 'utf8')) as OCIIndex;
    have = new Set(idx.manifests.map((m) => `${m.digest} ${m.annotations?.['org.opencontainers.image.ref.name'] ?? ''}`));
  } catch {
    // unreadable: stale
  }
  if (want.size !== have.size || [...want].some((w) => !have.has(w))) {
    if (repair) store.syncOciIndex();
    note({ kind: 'stale-index', detail: `${paths.ociIndex} does not match the database`, repaired: repair ? 'rewritten' : undefined }, repair);
  }

  return { problems, remaining: Math.max(0, remaining), checkedBlobs: blobNames.length, checkedImages: images.length };
}
