import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** An OCI content digest, always `sha256:<64 hex>` in this store. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hexOf(d: Digest | string): string {
  return d.startsWith('sha256:') ? d.slice(7) : d;
}

export function newHasher(): Hash {
  return createHash('sha256');
}

export async function sha256File(path: string): Promise<Digest> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** A digest cut to 12 hex digits after its algorithm (sha256:0123456789ab), as docker shortens IDs:
 *  enough to tell two apart in a message that must stay one line. */
export function shortDigest(d: string): string {
  const i = d.indexOf(':');
  return i >= 0 ? `${d.slice(0, i + 1)}${d.slice(i + 1, i + 13)}` : d.slice(0, 12);
}

/** The one-line error text for content whose digest is not the one expected. */
export function digestMismatch(what: string, got: string, want: string): string {
  return `${what}: content is ${shortDigest(got)}, expected ${shortDigest(want)}`;
}
