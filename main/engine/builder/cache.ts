import { sha256 } from '../util/digest.js';

/**
 * A build step's cache key: its parent's key chained with the expanded instruction and its
 * inputs, so a change invalidates that step and every later one, never earlier ones. The
 * cache itself is the build_cache table (store/tables/build-cache.ts).
 */
export function stepKey(parentKey: string, instruction: string, inputs: string): string {
  return sha256(JSON.stringify([parentKey, instruction, inputs]));
}
