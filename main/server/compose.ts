import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../engine/index.js';

/**
 * "Up from the app": a compose file run by the user's own compose tool (docker-compose, or
 * docker's compose plugin) against the app's Engine API socket. Slipway does not read compose
 * files itself: the tool does, as it would against Docker Desktop.
 */

/** The names compose looks for in a folder, in its order. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export const NO_COMPOSE_TOOL =
  'no compose tool is installed: install docker-compose (Debian: apt-get install docker-compose) or docker\'s compose plugin (docker-compose-plugin), then try again';

/** The compose command here: docker's plugin first (what Docker Desktop ships), then docker-compose. */
export function findComposeTool(): string[] | undefined {
  for (const argv of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(argv[0]!, [...argv.slice(1), 'version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return argv;
  }
  return undefined;
}

/** docker-compose's project name rule: lower case, only [a-z0-9_-]. */
export function projectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'app';
}

/**
 * The compose file a path names (a file, or a folder holding one), or, for text dropped on a
 * browser (which knows no path), the text kept under the store so the tool can read it.
 */
export async function resolveComposeFile(o: { path?: string; text?: string; name?: string }, keepDir: string): Promise<{ file: string; fromText: boolean }> {
  if (o.path) {
    const st = (() => {
      try {
        return statSync(o.path!);
      } catch {
        throw new NotFoundError(`no such file or folder: ${o.path}`);
      }
    })();
    if (!st.isDirectory()) return { file: o.path, fromText: false };
    const found = COMPOSE_FILE_NAMES.map((n) => join(o.path!, n)).find((f) => existsSync(f));
    if (!found) throw new NotFoundError(`${o.path} holds no compose file (${COMPOSE_FILE_NAMES.join(', ')})`);
    return { file: found, fromText: false };
  }
  if (o.text === undefined) throw new InvalidArgumentError('name a compose file (its path) or give its text');
  const dir = join(keepDir, createHash('sha256').update(o.text).digest('hex').slice(0, 16));
  await mkdir(dir, { recursive: true });
  const file = join(dir, o.name && COMPOSE_FILE_NAMES.includes(o.name) ? o.name : 'compose.yaml');
  await writeFile(file, o.text);
  return { file, fromText: true };
}

/** The project compose would use: the file's `name:`, else its folder's name (with `fallback` for kept text). */
export function defaultProject(file: string, text: string, fallback?: string): string {
  const named = /^name:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
  return projectName(named ?? fallback ?? basename(dirname(file)));
}

/** The services a compose file defines, as the tool reads it (`config --services`). */
export function composeServices(tool: string[], file: string): string[] {
  const r = spawnSync(tool[0]!, [...tool.slice(1), '-f', file, 'config', '--services'], { encoding: 'utf8', timeout: 30_000, cwd: dirname(file) });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status}`;
    throw new InvalidArgumentError(`${basename(file)} is not a compose file the tool can read: ${why}`);
  }
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** `compose -p PROJECT -f FILE up -d` against `dockerHost`, each output line to `line`; resolves with its exit code. */
export function composeUp(o: { tool: string[]; file: string; project: string; dockerHost: string; signal?: AbortSignal; line: (l: string) => void }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.tool[0]!, [...o.tool.slice(1), '-p', o.project, '-f', o.file, 'up', '-d'], {
      cwd: dirname(o.file),
      env: { ...process.env, DOCKER_HOST: o.dockerHost, COMPOSE_INTERACTIVE_NO_CLI: '1', DOCKER_BUILDKIT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onAbort = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    for (const s of [child.stdout, child.stderr]) {
      let rest = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        // compose redraws its progress with \r: each redraw is a line here
        const parts = (rest + d).split(/\r?\n|\r/);
        rest = parts.pop() ?? '';
        for (const p of parts) if (p.trim()) o.line(p);
      });
      s.on('end', () => rest.trim() && o.line(rest));
    }
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) reject(o.signal.reason ?? new Error('cancelled'));
      else resolve(code ?? 1);
    });
  });
}
