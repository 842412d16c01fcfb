import { Engine } from '../../engine/index.js';

/** Open the store for one command (another root with `root`, as conmon's exit command passes) and always close it. */
export async function withEngine<T>(fn: (e: Engine) => Promise<T> | T, root?: string): Promise<T> {
  const engine = new Engine(root);
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}
