import { collectNow, IDLE_GC_MS } from './idle-gc.js';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Server as NetServer } from 'node:net';
import { dirname } from 'node:path';
import { isRootless, openEngine, peerCredentials, runtimeDir, SLIPWAY_VERSION } from '../engine/index.js';
import { badRequest } from './errors.js';
import { defaultSocket, dockerHost, parseListenAddress, type ListenAddress } from './listen-address.js';
import { peerCheck } from './peer.js';
import { allRoutes } from './routes/index.js';
import { ExecSessions } from './routes/exec.js';
import { createApiServer } from './server.js';
import { watchExits } from './exit-watcher.js';


export interface ServiceOptions {
  /** unix:///PATH, a path, or tcp://[HOST]:PORT; the default socket when absent */
  address?: string;
  /** seconds without a connection before the service exits; 0 = never (podman's --time) */
  idleSeconds: number;
  /** the store to serve; SLIPWAY_ROOT or the default one when absent */
  root?: string;
  /** where the `export DOCKER_HOST=...` line and notices go */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** podman's `system service --time` default. */
export const DEFAULT_IDLE_SECONDS = 5;

/** The gid of group `name` from /etc/group, if it exists. */
function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f[2]) return Number(f[2]);
    }
  } catch {
    /* no /etc/group: no group */
  }
  return undefined;
}

/** A socket file left by a service that died: removed; one that answers means another service runs. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw badRequest(`${path} exists and is not a socket: remove it or give another --socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw badRequest(`another service is already listening on ${path}: stop it, or give another --socket`);
  rmSync(path, { force: true });
}

export interface RunningService {
  address: ListenAddress;
  dockerHost: string;
  close(): Promise<void>;
  /** settles when the service stopped (idle timeout, signal or close) */
  stopped: Promise<void>;
}

/**
 * `slipway system service`: the Docker Engine API on a unix socket (or TCP when asked), until
 * it has been idle for `idleSeconds` (no open connection), a signal, or close().
 */
export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const rootless = isRootless();
  const address = parseListenAddress(opts.address ?? defaultSocket(rootless, runtimeDir()));
  const engine = openEngine(opts.root);
  const uid = process.geteuid?.() ?? 0;
  const group = address.kind === 'unix' && !rootless ? groupId('slipway') : undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));

  const server = createApiServer({
    routes: allRoutes(),
    services: { engine, root: engine.store.paths.root, execs: new ExecSessions() },
    serverName: `Slipway/${SLIPWAY_VERSION} (linux)`,
    admit: address.kind === 'unix' ? peerCheck(peerCredentials, { uid, group }) : undefined,
    onConnections: (n) => armIdle(n),
    log: (l) => err(l),
  });

  let gcTimer: NodeJS.Timeout | undefined;
  function armIdle(open: number): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (gcTimer) clearTimeout(gcTimer);
    gcTimer = undefined;
    if (open === 0 && opts.idleSeconds > 0) {
      idleTimer = setTimeout(() => void close(), opts.idleSeconds * 1000);
      idleTimer.unref?.();
    }
    if (open === 0) {
      gcTimer = setTimeout(collectNow, IDLE_GC_MS);
      gcTimer.unref?.();
    }
  }

  const exits = watchExits(engine, err);
  // as dockerd at boot: always/unless-stopped containers that are not running come back
  void engine.containers.restore().then(
    (rs) => rs.forEach((r) => r.error && err(`restarting container ${r.name} failed: ${r.error}`)),
    (e: unknown) => err(`restoring containers failed: ${e instanceof Error ? e.message : String(e)}`),
  );
  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      if (idleTimer) clearTimeout(idleTimer);
      if (gcTimer) clearTimeout(gcTimer);
      exits.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }).then(() => {
      if (address.kind === 'unix') rmSync(address.path, { force: true });
      engine.close();
      stop();
    });
    return closing;
  }

  let boundPort: number | undefined;
  if (address.kind === 'unix') {
    mkdirSync(dirname(address.path), { recursive: true, mode: rootless ? 0o700 : 0o755 });
    await clearStaleSocket(address.path);
    // No window where the socket exists with the umask's mode: create it 0600 and widen after.
    const oldMask = process.umask(0o177);
    try {
      await listen(server, address.path);
    } finally {
      process.umask(oldMask);
    }
    if (group !== undefined) {
      chownSync(address.path, uid, group);
      chmodSync(address.path, 0o660);
    } else chmodSync(address.path, rootless ? 0o600 : 0o660);
  } else {
    await listen(server, address.port, address.host);
    boundPort = (server.address() as { port: number }).port;
  }
  const host = dockerHost(address, boundPort);
  out(`export DOCKER_HOST=${host}`);
  if (address.kind === 'tcp') {
    err(
      address.loopback
        ? `WARNING: the API on ${host} has no authentication: every local user and process that can reach this port has root access through it. Prefer the unix socket.`
        : `WARNING: Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network (${host}).`,
    );
  }
  err(`Slipway Engine API for the store at ${engine.store.paths.root}${opts.idleSeconds > 0 ? `; exits after ${opts.idleSeconds}s without a connection` : ''}`);
  armIdle(0);
  return { address, dockerHost: host, close, stopped };
}

function listen(server: NetServer, ...args: [string] | [number, string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (args.length === 1) server.listen(args[0], done);
    else server.listen(args[0], args[1], done);
  });
}

/** The CLI verb: runs until idle, SIGINT or SIGTERM. */
export async function runService(opts: ServiceOptions): Promise<void> {
  // A bug in one request's handling must not take every client's daemon down: say it, keep serving.
  const report = (e: unknown) => process.stderr.write(`slipway service: internal error (please report it): ${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
  const svc = await startService(opts);
  const onSignal = () => void svc.close();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await svc.stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
