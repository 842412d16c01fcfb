import http from 'node:http';
import { randomBytes } from 'node:crypto';

export interface TokenProxy {
  addr: string;
  /** token requests seen: scope lists and whether they carried credentials */
  tokenRequests: { scopes: string[]; account?: string }[];
  stop: () => Promise<void>;
}

/**
 * Bearer token auth as Docker Hub and ghcr.io do it, in front of a real (open) registry: /v2/
 * answers 401 with `WWW-Authenticate: Bearer realm=...,service=...`, /token hands out tokens
 * (anonymous ones may only pull; a push needs the right username and password), and every
 * other request is proxied to the registry once its token checks out.
 */
export async function startTokenProxy(upstream: string, user: string, password: string): Promise<TokenProxy> {
  const tokens = new Map<string, { push: boolean }>();
  const tokenRequests: TokenProxy['tokenRequests'] = [];
  let addr = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${addr}`);
    if (url.pathname === '/token') {
      const scopes = url.searchParams.getAll('scope');
      const auth = req.headers.authorization;
      let authed = false;
      if (auth) {
        const [u, p] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
        if (u !== user || p !== password) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"incorrect username or password"}');
          return;
        }
        authed = true;
      }
      tokenRequests.push({ scopes, account: url.searchParams.get('account') ?? undefined });
      const tok = randomBytes(16).toString('hex');
      tokens.set(tok, { push: authed });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: tok, expires_in: 300 }));
      return;
    }
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const grant = tokens.get(bearer);
    const writes = req.method !== 'GET' && req.method !== 'HEAD';
    if (!grant || (writes && !grant.push)) {
      const m = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname);
      const scope = m ? `,scope="repository:${m[1]}:${writes ? 'pull,push' : 'pull'}"` : '';
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="http://${addr}/token",service="slipway-test"${scope}`,
        'Content-Type': 'application/json',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = http.request({ host: upstream.split(':')[0], port: Number(upstream.split(':')[1]), method: req.method, path: req.url, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    addr,
    tokenRequests,
    stop: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
