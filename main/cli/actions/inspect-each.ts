import { errorMessage, type Engine } from '../../engine/index.js';
import { ExitCode } from '../output.js';
import { withEngine } from './with-engine.js';
import { writeOut } from '../stdout.js';

/**
 * docker's `inspect` shape for any object kind: the JSON array of what was found (or each
 * rendered with --format), then one error line per name that was not, and exit 1 if any.
 */
export async function inspectEach(names: string[], get: (engine: Engine, name: string) => Promise<unknown> | unknown, o: { format?: string }): Promise<void> {
  const missing: string[] = [];
  await withEngine(async (engine) => {
    const found: unknown[] = [];
    for (const n of names) {
      try {
        found.push(await get(engine, n));
      } catch (e) {
        missing.push(errorMessage(e));
      }
    }
    if (o.format) {
      const { formatEach } = await import('../format.js');
      writeOut(formatEach(o.format, found));
    } else writeOut(`${JSON.stringify(found, null, 4)}\n`);
  });
  for (const m of missing) process.stderr.write(`Error: ${m}\n`);
  if (missing.length) throw new ExitCode(1);
}
