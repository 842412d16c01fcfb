import { portLines } from '../../engine/index.js';
import { withEngine } from './container-life.js';

export async function port(name: string, privatePort?: string): Promise<void> {
  await withEngine(async (engine) => {
    const rec = await engine.containers.get(name);
    const lines = portLines(engine.store.paths.root, rec, privatePort);
    process.stdout.write(lines.map((l) => `${l}\n`).join(''));
  });
}
