import type { Readable } from 'node:stream';
import type { Engine } from '../engine.js';
import { packMerged } from '../layer/diff.js';
import { driverByName } from '../mount/probe.js';
import { isRootless } from '../rootless/detect.js';
import { layerMount } from './bundle.js';

/**
 * docker export: the container's filesystem (image layers, the init layer's empty mount
 * points, the writable layer) merged, as one plain tar stream, running or stopped. Read from
 * the layer dirs without mounting anything, so nothing can be left mounted when the reader
 * goes away, and the runtime's mounts (/proc, /sys, /dev, the bind-mounted /etc files) are
 * never in it: only the empty mount points are. Streamed: the caller pipes it where it goes.
 */
export async function exportContainer(engine: Engine, ref: string): Promise<Readable> {
  const rec = await engine.containers.get(ref);
  const m = layerMount(engine, rec);
  return packMerged(driverByName(rec.spec.driver).mergedLayers(m), { rootless: isRootless() });
}
