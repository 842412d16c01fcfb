import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const REPO = join(import.meta.dirname, '..', '..');
export const CLI = join(REPO, 'bin', 'slipway.js');
export const SHOTS = join(REPO, 'docs', 'screenshots');

export interface Session {
  root: string;
  /** the app's Engine API socket (each session its own: never the machine's default) */
  apiSocket: string;
  url: string;
  page: Page;
  context: BrowserContext;
  cli(...args: string[]): string;
  shot(name: string): Promise<void>;
  /** desktop notifications the page asked for (window.Notification is recorded) */
  desktopNotes(): Promise<{ title: string; body: string }[]>;
  close(): Promise<void>;
}

/**
 * A real `slipway ui` on a fresh store and Debian's Chromium driving it: what a user gets,
 * nothing stubbed but window.Notification (recorded so a headless browser can be asked what
 * it would have shown).
 */
export async function openSession(opts: { fixtures?: string[] } = {}): Promise<Session> {
  const root = mkdtempSync(join(process.env.SLIPWAY_TEST_TMP ?? tmpdir(), 'slipway-e2e-'));
  const apiSocket = join(root, 'docker.sock');
  const env = { ...process.env, SLIPWAY_ROOT: root, SLIPWAY_API_SOCKET: apiSocket };
  const cli = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  for (const f of opts.fixtures ?? []) cli('load', '-i', f);

  const server: ChildProcess = spawn(process.execPath, [CLI, 'ui', '--no-open'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (c) => (stderr += c));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: server.stdout! });
    rl.once('line', (l) => resolve(l.trim()));
    server.once('exit', (code) => reject(new Error(`slipway ui exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`slipway ui printed no URL: ${stderr}`)), 30_000);
  });

  const profile = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.addInitScript(() => {
    const notes: { title: string; body: string }[] = [];
    (window as unknown as { __notes: typeof notes }).__notes = notes;
    class RecordedNotification {
      static permission = 'granted';
      static requestPermission = async () => 'granted';
      onclick: (() => void) | null = null;
      constructor(title: string, o: { body?: string } = {}) {
        notes.push({ title, body: o.body ?? '' });
      }
      close() {}
    }
    Object.defineProperty(window, 'Notification', { value: RecordedNotification });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);

  return {
    root,
    apiSocket,
    url,
    page,
    context,
    cli,
    async shot(name) {
      mkdirSync(SHOTS, { recursive: true });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    },
    desktopNotes: () => page.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes.slice()),
    async close() {
      await context.close().catch(() => {});
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
      if (errors.length) console.warn(`page errors: ${errors.join('; ')}`);
      try {
        cli('rm', '-f', ...cli('ps', '-aq').split('\n').filter(Boolean));
      } catch {
        // no containers, or the verb is not there
      }
      rmSync(profile, { recursive: true, force: true });
      // conmon's exit command (container-cleanup) may reopen the store just after the rm:
      // remove until it stays gone
      for (let i = 0; i < 20 && existsSync(root); i++) {
        try {
          rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        } catch {
          // something wrote into it meanwhile: go round again
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  };
}
