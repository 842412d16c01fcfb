/**
 * Engine API versions. We serve the v1.41 shapes (Docker 20.10, the client Debian ships) and
 * accept requests down to 1.24, as dockerd does. A client that names no version gets the newest.
 */
export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';

/** -1, 0 or 1 comparing dotted versions numerically ("1.9" < "1.24"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function versionBefore(v: string, than: string): boolean {
  return compareVersions(v, than) < 0;
}

/** dockerd's words for a version it does not serve, or undefined when `v` is served. */
export function unsupportedVersion(v: string): string | undefined {
  if (compareVersions(v, MIN_API_VERSION) < 0) {
    return `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`;
  }
  if (compareVersions(v, API_VERSION) > 0) return `client version ${v} is too new. Maximum supported API version is ${API_VERSION}`;
  return undefined;
}
