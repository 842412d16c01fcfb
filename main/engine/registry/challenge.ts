/** What a registry's 401 asked for (RFC 7235 WWW-Authenticate, as registries send it). */
export interface Challenge {
  scheme: 'none' | 'basic' | 'bearer';
  realm?: string;
  service?: string;
  scope?: string;
}

/** Parse `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseChallenge(header: string): Challenge {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return { scheme: 'none' };
  const kind = m[1]!.toLowerCase();
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2] ?? ''))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  if (kind === 'bearer') return { scheme: 'bearer', realm: params.realm, service: params.service, scope: params.scope };
  if (kind === 'basic') return { scheme: 'basic', realm: params.realm };
  return { scheme: 'none' };
}
