import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { InvalidArgumentError, openEngine } from '../engine/index.js';
import { createApiRuntime } from './api-runtime.js';
import { EngineApiSocket } from './engine-api-socket.js';
import { startUiServer } from './http-server.js';
import { out } from '../cli/output.js';

function openBrowser(url: string): void {
  const opener = spawnSync('sh', ['-c', 'command -v xdg-open'], { encoding: 'utf8' }).stdout.trim();
  if (!opener || !(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) return;
  spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
}

export async function runUi(opts: { port?: number; address: string; allowRemote: boolean; open: boolean; apiSocket?: string }): Promise<void> {
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
    throw new InvalidArgumentError(`invalid --port: give a number from 0 to 65535`);
  }
  const engine = openEngine();
  const api = createApiRuntime(engine, { engineApi: new EngineApiSocket(opts.apiSocket ?? (process.env.SLIPWAY_API_SOCKET || undefined), undefined, engine.store.paths.root) });
  const server = await startUiServer(api, { port: opts.port, address: opts.address, allowRemote: opts.allowRemote });
  out(server.url);
  process.stderr.write(`Slipway UI for the store at ${engine.store.paths.root}; Ctrl-C to stop\n`);
  if (opts.open) openBrowser(server.url);
  await new Promise<void>((done) => {
    const stop = () => {
      void server.close().then(async () => {
        await api.close();
        engine.close();
        done();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The Electron main module: package.json's "main", found from wherever this code runs (dist/main/ or dist/bundle/). */
function appMain(): string {
  for (let dir = import.meta.dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (!existsSync(pkg)) continue;
    const { name, main } = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; main?: string };
    if (name === 'slipway' && main) return join(dir, main);
  }
  throw new InvalidArgumentError('cannot find the Slipway package.json (its "main" is the desktop app)');
}

/** The Electron binary, if this install has one (npm could not download it on offline hosts). */
export function electronBinary(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const pkgDir = resolve(req.resolve('electron/package.json'), '..');
    if (!existsSync(join(pkgDir, 'dist'))) return undefined;
    const bin = req('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

export async function runApp(opts: { open: boolean }): Promise<void> {
  const bin = electronBinary();
  if (bin) {
    const main = appMain();
    const child = spawn(bin, [main], { stdio: 'inherit' });
    const code = await new Promise<number>((done) => child.on('exit', (c) => done(c ?? 0)));
    process.exitCode = code;
    return;
  }
  process.stderr.write('Electron is not installed here (node_modules/electron/dist is missing: its binary could not be downloaded), so starting the web UI instead: open the URL below in a browser.\n');
  await runUi({ address: '127.0.0.1', allowRemote: false, open: opts.open });
}
