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
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

export function parseReference(input: string): Reference {
  const s = input.trim();
  if (!s) throw new InvalidArgumentError('invalid reference format: empty image name');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidArgumentError(`invalid reference format: bad digest in "${input}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidArgumentError(`invalid reference format: bad tag "${tag}" in "${input}"`);
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw new InvalidArgumentError(`invalid reference format: bad registry "${domain}" in "${input}"`);
    }
  }
  if (!path) throw new InvalidArgumentError(`invalid reference format: "${input}"`);
  for (const c of path.split('/')) {
    if (!COMPONENT.test(c)) {
      const hint = c !== c.toLowerCase() ? ' (repository names must be lowercase)' : '';
      throw new InvalidArgumentError(`invalid reference format: "${input}"${hint}`);
    }
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  return { domain, path, tag, digest };
}

/** The repository with its domain: docker.io/library/busybox */
export function repositoryOf(r: Reference): string {
  return `${r.domain}/${r.path}`;
}

/** Normalized name:tag as stored in the tags table (tag defaults to latest). */
export function normalizeTagged(input: string): string {
  const r = parseReference(input);
  if (r.digest && !r.tag) throw new InvalidArgumentError(`"${input}" names a digest, not a tag`);
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
