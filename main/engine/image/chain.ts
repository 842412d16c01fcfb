import { sha256, type Digest } from '../util/digest.js';

/** OCI chainIDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: string[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? sha256(`${prev} ${d}`) : (d as Digest));
  }
  return out;
}
