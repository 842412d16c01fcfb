import type { ApiContext } from './context.js';

export type Handler = (ctx: ApiContext) => Promise<void> | void;

export interface Route {
  method: string;
  /** docker's path template: `/containers/{id}/json`; `{name:.*}` matches across slashes */
  path: string;
  handler: Handler;
  /** attach and exec start: the connection may be upgraded (`Upgrade: tcp`) or kept raw */
  hijack?: boolean;
}

interface Compiled extends Route {
  re: RegExp;
  names: string[];
}

/** `/v1.41/containers/json` -> version 1.41 and the unprefixed path; docker accepts both forms. */
export function splitVersion(pathname: string): { version?: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  return m ? { version: m[1], path: m[2]! } : { path: pathname };
}

function compile(r: Route): Compiled {
  const names: string[] = [];
  const src = r.path
    .split(/(\{\w+(?::\.[*+])?\})/)
    .map((part) => {
      const p = /^\{(\w+)(:\.[*+])?\}$/.exec(part);
      if (!p) return part.replace(/[.*+?^$()[\]|\\{}]/g, '\\$&');
      names.push(p[1]!);
      return p[2] ? '(.+)' : '([^/]+)';
    })
    .join('');
  return { ...r, re: new RegExp(`^${src}$`), names };
}

export type Match = { route: Route; params: Record<string, string> } | { methodMismatch: true } | undefined;

/** Routes in declaration order: the first template that matches wins (as gorilla/mux does). */
export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map(compile);
  }

  match(method: string, path: string): Match {
    let other = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method) {
        other = true;
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      return { route: r, params };
    }
    return other ? { methodMismatch: true } : undefined;
  }
}
