import { readFile } from 'node:fs/promises';
import type { Engine } from '../engine.js';
import { buildsTable } from '../store/tables/builds.js';

/** The app's Builds page: recent builds with their Dockerfile text, steps and resulting tags. */
export async function buildHistory(engine: Engine, limit = 500) {
  const rows = buildsTable.recent(engine.store.db, limit);
  return Promise.all(
    rows.map(async (b) => {
      const text = b.dockerfile === '-' ? '' : await readFile(b.dockerfile, 'utf8').catch(() => '');
      return {
        id: b.id,
        status: b.status,
        dockerfile: text || `# the Dockerfile (${b.dockerfile}) is no longer readable`,
        context: b.context,
        args: b.args,
        tags: b.imageId ? engine.images.get(b.imageId)?.tags ?? [] : [],
        steps: b.steps.map((s) => ({
          index: s.id,
          instruction: s.name,
          status: s.status,
          cached: s.status === 'cached',
          ...(s.reason ? { reason: s.reason } : {}),
          ...(typeof s.ms === 'number' ? { durationMs: s.ms } : {}),
          ...(s.layer ? { layer: s.layer } : {}),
          ...(s.line ? { line: s.line } : {}),
        })),
        startedAt: new Date(b.started).toISOString(),
        durationMs: b.durationMs,
        imageId: b.imageId,
        error: b.error,
      };
    }),
  );
}
