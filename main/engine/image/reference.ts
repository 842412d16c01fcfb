import { InvalidArgumentError } from '../model/errors.js';

/**
 * Docker image references: [registry[:port]/]path[:tag][@digest], normalized as docker does
 * (busybox -> docker.io/library/busybox:latest). Grammar from distribution/reference.
 */
export interface Reference {
  /** docker.io, localhost, localhost:5000, ghcr.io ... */
  domain: string;
  /** library/busybox, me/app */
  path: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** The longest repository name (domain + path), as distribution's NameTotalLengthMax. */
const NAME_TOTAL_LENGTH_MAX = 255;

// distribution/reference's grammar (regexp.go), as docker 20.10 vendors it.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
/** A full image ID without its algorithm: never a repository name. */
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
/** go-digest's registered algorithms and the length of their hex encodings. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A string that is not an image reference, with distribution/reference's words. */
export class InvalidReferenceError extends InvalidArgumentError {
  constructor(readonly reason: string, readonly input: string) {
    super(reason);
    this.name = 'InvalidReferenceError';
  }
}

/**
 * docker's ParseNormalizedNamed: validates the whole reference before anything uses it
 * (upper case in the repository, two tags, a malformed digest, a leading dash or dot, empty
 * or `..` path components, a name over 255 characters), normalizing busybox to
 * docker.io/library/busybox. Errors carry docker 20.10's words.
 */
export function parseReference(input: string): Reference {
  const bad = (reason: string): never => {
    throw new InvalidReferenceError(reason, input);
  };
  if (IDENTIFIER_RE.test(input)) bad(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  let domain = DEFAULT_DOMAIN;
  let remainder = input;
  const slash = input.indexOf('/');
  if (slash >= 0) {
    const first = input.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost') {
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      remainder = input.slice(slash + 1);
    }
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = `library/${remainder}`;
  const colon = remainder.indexOf(':');
  const remoteName = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remoteName.toLowerCase() !== remoteName) bad('invalid reference format: repository name must be lowercase');
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    if (REFERENCE_RE.test(full.toLowerCase())) bad('repository name must be lowercase');
    bad('invalid reference format');
  }
  const name = m![1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) bad(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const parts = ANCHORED_NAME_RE.exec(name);
  if (!parts) bad('invalid reference format');
  const digest = m![3];
  if (digest !== undefined) checkDigest(digest, bad);
  return { domain: parts![1] ?? domain, path: parts![2]!, tag: m![2], digest };
}

/** go-digest's Digest.Validate: a registered algorithm and a lower-case hex encoding of its length. */
function checkDigest(d: string, bad: (reason: string) => never): void {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) bad('invalid checksum digest format');
  const want = DIGEST_HEX_LENGTH[d.slice(0, i)];
  if (want === undefined) bad('unsupported digest algorithm');
  const hex = d.slice(i + 1);
  if (hex.length !== want) bad('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) bad('invalid checksum digest format');
}

/**
 * What an image lookup (rmi, inspect, history, save, run) accepts, as docker's
 * ParseAnyReference: a full image ID (with or without sha256:), or a valid reference (a
 * short ID is one too). Throws InvalidReferenceError for anything else.
 */
export function checkImageRef(input: string): void {
  if (IDENTIFIER_RE.test(input.replace(/^sha256:/, ''))) return;
  parseReference(input);
}

/** The repository with its domain: docker.io/library/busybox */
export function repositoryOf(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Normalized name:tag as stored in the tags table (tag defaults to latest). */
export function normalizeTagged(input: string): string {
  const r = parseReference(input);
  if (r.digest && !r.tag) throw new InvalidReferenceError('refusing to create a tag with a digest reference', input);
  return `${repositoryOf(r)}:${r.tag ?? 'latest'}`;
}

/** What docker shows: busybox:latest, me/app:1, localhost:5000/x:y */
export function familiarName(normalized: string): string {
  let s = normalized;
  if (s.startsWith(`${DEFAULT_DOMAIN}/`)) {
    s = s.slice(DEFAULT_DOMAIN.length + 1);
    if (s.startsWith('library/') && !s.slice(8).includes('/')) s = s.slice(8);
  }
  return s;
}

/** Split a familiar name:tag into [repository, tag] for `images` tables. */
export function splitRepoTag(normalized: string): [string, string] {
  const fam = familiarName(normalized);
  const i = fam.lastIndexOf(':');
  const slash = fam.lastIndexOf('/');
  if (i > slash) return [fam.slice(0, i), fam.slice(i + 1)];
  return [fam, 'latest'];
}

/** Why `input` is not an image reference (or, with `ids`, an image ID), in distribution's
 *  words; undefined when it is one. */
export function referenceProblem(input: string, ids = true): string | undefined {
  try {
    if (ids) checkImageRef(input);
    else parseReference(input);
    return undefined;
  } catch (e) {
    if (e instanceof InvalidReferenceError) return e.reason;
    throw e;
  }
}

/** Whether `input` names an image the way a lookup accepts (a reference or an ID). */
export function isReference(input: string): boolean {
  return referenceProblem(input) === undefined;
}
