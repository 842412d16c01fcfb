import { describe, expect, it } from 'vitest';
import { collectNow } from '../../../main/api/idle-gc.js';

describe("the Engine API service's idle collection", () => {
  it('gets a full gc without --expose-gc on the command line, and frees what nothing holds', async () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    const ref = (() => new WeakRef(Array.from({ length: 200 }, () => new Array<number>(50_000).fill(1))))();
    // a WeakRef's target lives at least to the end of the job that made it
    await new Promise((r) => setImmediate(r));
    collectNow();
    collectNow(); // the second call reuses the function
    expect(ref.deref()).toBeUndefined();
  });
});
