import type { Store } from '../store/store.js';
import { registryBlobsTable } from '../store/tables/registry-blobs.js';
import { layerCompressionsTable } from '../store/tables/layer-compressions.js';
import { pullPartialsTable } from '../store/tables/pull-partials.js';
import { repoDigestsTable } from '../store/tables/repo-digests.js';

/**
 * What we learned about remote blobs: where a blob is known to live (mount sources for a
 * push to another repository of the same registry), and which gzip blob we made for a layer
 * we keep uncompressed. Hints only: every use is checked against the registry. The rows are
 * kept by their tables' owners (store/tables/).
 */
export class KnownBlobs {
  constructor(private readonly store: Store) {}

  record(registry: string, repository: string, digests: string[]): void {
    registryBlobsTable.record(this.store.db, registry, repository, digests);
  }

  /** Other repositories on this registry that held the blob, most recent first. */
  mountSources(registry: string, repository: string, digest: string): string[] {
    return registryBlobsTable.otherRepositories(this.store.db, registry, repository, digest);
  }

  compressed(diffId: string, mediaType: string): { digest: string; size: number } | undefined {
    return layerCompressionsTable.get(this.store.db, diffId, mediaType);
  }

  recordCompressed(diffId: string, mediaType: string, digest: string, size: number): void {
    layerCompressionsTable.put(this.store.db, diffId, mediaType, digest, size);
  }

  /** A layer of a pull that has not finished yet: blob and snapshot are whole; keep them. */
  recordPartial(blobDigest: string, chainId: string, reference: string): void {
    pullPartialsTable.record(this.store.db, blobDigest, chainId, reference);
  }

  /** The pull finished (its image rows now hold the layers), or gave up long ago. */
  clearPartials(chainIds: string[], olderThanMs?: number): void {
    pullPartialsTable.clear(this.store.db, chainIds, olderThanMs);
  }

  /** name@digest as the registry knows the image (RepoDigests). */
  recordRepoDigest(repository: string, digest: string, imageId: string): void {
    repoDigestsTable.record(this.store.db, `${repository}@${digest}`, imageId);
  }

  imageByRepoDigest(repository: string, digest: string): string | undefined {
    return repoDigestsTable.image(this.store.db, `${repository}@${digest}`);
  }
}
