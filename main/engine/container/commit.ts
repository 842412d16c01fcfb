import { spawn } from 'node:child_process';
import { lastLine } from '../util/text.js';
import { createReadStream, mkdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomHex } from '../util/ids.js';
import { applyLayer } from '../layer/apply.js';
import type { Engine } from '../engine.js';
import type { ImageRecord } from '../image/images.js';
import type { ImageConfig, ImageRuntimeConfig } from '../image/types.js';
import { chainIds } from '../image/chain.js';
import { normalizeTagged } from '../image/reference.js';
import { commitUpperDir } from '../layer/diff.js';
import { layerMount } from './bundle.js';
import { driverByName } from '../mount/probe.js';
import { runc, runcErrorLine } from '../runtime/runc.js';
import { EngineError, ErrorCode } from '../model/errors.js';
import { isRootless } from '../rootless/detect.js';
import { controllerDelegated } from '../rootless/cgroups.js';

export interface CommitOptions {
  message?: string;
  author?: string;
  /** Dockerfile-style changes: CMD, ENV, LABEL... (as `import -c`) */
  changes?: string[];
  /** pause a running container while its layer is read (docker's default) */
  pause?: boolean;
  /** REPO[:TAG] */
  tag?: string;
}

/**
 * docker commit: a new image = the container's image layers + one layer made from the
 * container's upper dir; its config is the container's (Cmd/Env/... as it ran) with the
 * -c changes on top; history grows by one entry; lineage names the container.
 */
export async function commitContainer(engine: Engine, ref: string, o: CommitOptions = {}): Promise<ImageRecord> {
  if (o.tag) normalizeTagged(o.tag); // docker checks the repository before the container
  const rec = await engine.containers.get(ref);
  const img = engine.images.get(rec.imageId);
  if (!img) throw new EngineError(ErrorCode.DATA_LOSS, `the image of container ${rec.name} is gone from the store`);
  const base = engine.images.config(img);
  const m = layerMount(engine, rec);
  const upper = driverByName(rec.spec.driver).changesDir(m);
  const root = engine.store.paths.runtimeState;
  const rootless = isRootless();
  // Rootless without a delegated freezer cgroup cannot pause (podman skips it there too).
  const pause = rec.state === 'running' && o.pause !== false && !(rootless && !controllerDelegated('freezer'));
  if (pause) {
    const r = await runc(root, ['pause', rec.id]);
    if (r.code !== 0) throw new EngineError(ErrorCode.SYSTEM, `cannot pause ${rec.name} for the commit: ${runcErrorLine(r.stderr)} (use --pause=false)`);
  }
  let layer;
  const parentChain = img.layers.length ? img.layers[img.layers.length - 1]!.chainId : undefined;
  const snaps = engine.images.snapshots;
  // With kernel overlay the new layer's snapshot is the upper dir as it is (overlay whiteouts
  // and all): copy it while the layer tar is written, so the two run side by side. Other
  // drivers' upper dirs differ (fuse-overlayfs whiteouts), so there the tar is unpacked.
  const copyAhead = rec.spec.driver === 'overlay' ? copyTree(upper, tempSnapshotDir(engine)) : undefined;
  copyAhead?.catch(() => {});
  try {
    layer = await commitUpperDir(upper, engine.store.blobs, { rootless });
    const chainId = chainIds([...(parentChain ? [parentChain] : []), layer.diffId]).pop()!;
    const copied = copyAhead ? await copyAhead : undefined;
    const blob = engine.store.paths.blob(layer.blobDigest.replace(/^sha256:/, ''));
    await snaps.prepare(chainId, async (dir) => {
      if (copied) {
        rmdirSync(dir);
        renameSync(copied, dir);
      } else await applyLayer(createReadStream(blob), dir, { mode: 'overlay', rootless });
    });
    if (copied) rmSync(copied, { recursive: true, force: true }); // the snapshot existed already
  } catch (e) {
    const copied = copyAhead ? await copyAhead.catch(() => undefined) : undefined;
    if (copied) rmSync(copied, { recursive: true, force: true });
    throw e;
  } finally {
    if (pause) await runc(root, ['resume', rec.id]);
  }
  const c = rec.spec.config;
  let runtime: ImageRuntimeConfig = {
    ...base.config,
    User: c.User,
    Env: c.Env,
    Cmd: c.Cmd,
    Entrypoint: c.Entrypoint,
    WorkingDir: c.WorkingDir,
    Labels: c.Labels,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
  if (o.changes?.length) {
    const { applyChanges } = await import('../image/changes.js');
    runtime = applyChanges(runtime, o.changes);
  }
  const created = new Date().toISOString();
  const createdBy = [rec.spec.path, ...rec.spec.args].join(' ');
  const config: ImageConfig = {
    ...base,
    created,
    config: runtime,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), layer.diffId] },
    history: [
      ...(base.history ?? []),
      { created, created_by: createdBy, ...(o.author ? { author: o.author } : {}), ...(o.message ? { comment: o.message } : {}) },
    ],
  };
  delete config.comment;
  delete config.author;
  if (o.author) config.author = o.author;
  if (o.message) config.comment = o.message;
  const image = engine.images.add({
    config,
    layers: [...img.layers, layer],
    tags: o.tag ? [o.tag] : [],
    lineage: {
      kind: 'commit',
      parentImageId: img.id,
      containerId: rec.id,
      containerName: rec.name,
      detail: { message: o.message ?? '', author: o.author ?? '', changes: o.changes ?? [] },
    },
  });
  engine.store.emit('container', 'commit', rec.id, { name: rec.name, image: rec.imageRef, imageID: image.id, comment: o.message ?? '' });
  return image;
}

/** A fresh temp dir among the snapshots (same filesystem: renamed into place; system check
 *  removes `.tmp-*` leftovers after a crash). */
function tempSnapshotDir(engine: Engine): string {
  return join(engine.store.paths.snapshots, `.tmp-commit-${process.pid}-${randomHex(4)}`);
}

/** cp -a keeps what a snapshot needs: owners, modes, times, xattrs, whiteout devices. */
function copyTree(src: string, dest: string): Promise<string> {
  return new Promise((resolve, reject) => {
    mkdirSync(dest, { mode: 0o755 });
    const p = spawn('cp', ['-a', '--', `${src}/.`, `${dest}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code === 0) resolve(dest);
      else {
        rmSync(dest, { recursive: true, force: true });
        reject(new EngineError(ErrorCode.SYSTEM, `copying the container layer into a snapshot failed: ${lastLine(err)}`));
      }
    });
  });
}
