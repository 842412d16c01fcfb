/** Hash routes ("#/images/sha256:..."): they work from file:// in Electron and from `slipway ui`. */
export interface Route {
  page: string;
  arg: string | undefined;
}

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const page = parts[0] || 'home';
  const arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : undefined;
  return { page, arg };
}

export const route = $state<Route>(parse(typeof location === 'undefined' ? '' : location.hash));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => {
    const r = parse(location.hash);
    route.page = r.page;
    route.arg = r.arg;
  });
}

export function go(page: string, arg?: string): void {
  location.hash = `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}`;
}

export function href(page: string, arg?: string): string {
  return `#/${page}${arg ? `/${encodeURIComponent(arg)}` : ''}`;
}
