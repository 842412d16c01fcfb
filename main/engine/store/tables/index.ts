import type { DB } from '../db.js';
import { imagesTable } from './images.js';
import { lineageTable } from './lineage.js';
import { containersTable } from './containers.js';
import { eventsTable } from './events.js';
import { buildsTable } from './builds.js';
import { BuildCache } from './build-cache.js';
import { FileHashCache } from './build-file-hashes.js';
import { buildParseCacheTable } from './build-parse-cache.js';
import { buildCacheMountsTable } from './build-cache-mounts.js';
import { registryBlobsTable } from './registry-blobs.js';
import { layerCompressionsTable } from './layer-compressions.js';
import { pullPartialsTable } from './pull-partials.js';
import { repoDigestsTable } from './repo-digests.js';
import { networksTable } from './networks.js';
import { volumesTable } from './volumes.js';
import { containerHealthTable } from './container-health.js';

/** What a table's rows keep alive in the store: blob digests and snapshot chain IDs. */
export interface ContentRefs {
  blobs: string[];
  chainIds: string[];
}

export interface TableOwner {
  refs(db: DB): ContentRefs;
}

/**
 * Every table and its owner module (the only SQL for it). Garbage collection and `system
 * check --repair` keep exactly what the owners' `refs()` name, as containerd's gc labels do,
 * instead of guessing from column names. A new table (a migration in db.ts) is added here
 * too (one owner may keep several tables: networks.ts); test/unit/store/tables.test.ts fails
 * for a table without an owner.
 */
export const TABLE_OWNERS: Record<string, TableOwner> = {
  images: imagesTable,
  layers: imagesTable,
  image_layers: imagesTable,
  tags: imagesTable,
  lineage: lineageTable,
  containers: containersTable,
  events: eventsTable,
  builds: buildsTable,
  build_cache: BuildCache,
  build_file_hashes: FileHashCache,
  build_parse_cache: buildParseCacheTable,
  build_cache_mounts: buildCacheMountsTable,
  registry_blobs: registryBlobsTable,
  layer_compressions: layerCompressionsTable,
  pull_partials: pullPartialsTable,
  repo_digests: repoDigestsTable,
  networks: networksTable,
  network_endpoints: networksTable,
  published_ports: networksTable,
  volumes: volumesTable,
  container_health: containerHealthTable,
};

/** The content every owner but the image tables holds (the image tables are asked directly). */
export function foreignRefs(db: DB): { blobs: Set<string>; chainIds: Set<string> } {
  const blobs = new Set<string>();
  const chainIds = new Set<string>();
  for (const owner of new Set(Object.values(TABLE_OWNERS))) {
    if (owner === imagesTable) continue;
    const r = owner.refs(db);
    for (const b of r.blobs) blobs.add(b);
    for (const c of r.chainIds) chainIds.add(c);
  }
  return { blobs, chainIds };
}
