import type { SlipwayBridge } from '../../../renderer/src/lib/api.js';
import type { Reply } from '../../../shared/api.js';

/**
 * Component tests stand the renderer on a scripted transport (the IPC/WebSocket boundary);
 * the real bridge and engine are exercised by the end-to-end tests.
 */
export class FakeTransport implements SlipwayBridge {
  calls: { method: string; params: unknown }[] = [];
  private listeners = new Map<string, Set<(d: unknown) => void>>();
  constructor(private answers: Record<string, (params: any) => unknown> = {}) {}
  async invoke(method: string, params: unknown): Promise<Reply> {
    this.calls.push({ method, params });
    const a = this.answers[method];
    if (!a) return { result: method.endsWith('.list') ? [] : null };
    try {
      return { result: await a(params) };
    } catch (e) {
      return { error: { code: 'ERROR', message: (e as Error).message } };
    }
  }
  subscribe(event: string, fn: (d: unknown) => void): () => void {
    let s = this.listeners.get(event);
    if (!s) this.listeners.set(event, (s = new Set()));
    s.add(fn);
    return () => s!.delete(fn);
  }
  emit(event: string, data: unknown): void {
    for (const fn of this.listeners.get(event) ?? []) fn(data);
  }
}
