import { readFileSync } from 'node:fs';
import type { Settings } from '../../shared/api.js';
import { writeFileAtomic } from '../engine/index.js';

const defaults: Settings = { notificationsMuted: false, serveEngineApi: true };

/** The app's few preferences, one small JSON file in the store so the app and the browser UI agree. */
export class UiSettings {
  private current: Settings;
  constructor(private readonly file: string) {
    try {
      this.current = { ...defaults, ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<Settings>) };
    } catch {
      this.current = { ...defaults };
    }
  }
  get(): Settings {
    return { ...this.current };
  }
  set(patch: Partial<Settings>): Settings {
    this.current = { ...this.current, ...patch };
    writeFileAtomic(this.file, JSON.stringify(this.current));
    return this.get();
  }
}
