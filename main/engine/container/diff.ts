import type { Engine } from '../engine.js';
import { upperChanges, type Change } from '../layer/changes.js';
import { layerMount } from './bundle.js';
import { driverByName } from '../mount/probe.js';
import { isRootless } from '../rootless/detect.js';

/** docker diff: what the container's writable layer changed (works on stopped containers). */
export async function containerChanges(engine: Engine, ref: string): Promise<Change[]> {
  const rec = await engine.containers.get(ref);
  const m = layerMount(engine, rec);
  return upperChanges(driverByName(rec.spec.driver).changesDir(m), [...m.lowers].reverse(), { rootless: isRootless() });
}
