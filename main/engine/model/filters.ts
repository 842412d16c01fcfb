/**
 * docker's `label` filter, the one reading for ps, images, prune and events: `K` matches any
 * value of K, `K=V` that value (a missing key never matches). `label!=` negates it (the caller
 * passes `negate`).
 */
export function matchLabel(labels: Record<string, string> | undefined | null, filter: string, negate = false): boolean {
  const l = labels ?? {};
  const eq = filter.indexOf('=');
  const key = eq < 0 ? filter : filter.slice(0, eq);
  const hit = Object.prototype.hasOwnProperty.call(l, key) && (eq < 0 || l[key] === filter.slice(eq + 1));
  return negate ? !hit : hit;
}

/** `--filter key=value` (and `key!=value`) split as docker does; a value may contain '='. */
export function splitFilter(f: string): { key: string; negate: boolean; value: string } | undefined {
  const m = /^([a-z_.-]+)(!?=)(.*)$/is.exec(f);
  return m ? { key: m[1]!, negate: m[2] === '!=', value: m[3]! } : undefined;
}
