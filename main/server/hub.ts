import type { EventName } from '../../shared/api.js';

type Listener = (event: EventName, data: unknown) => void;

/**
 * Fan-out of API events to whoever listens (WebSocket clients, the Electron window, the
 * notifier). Listeners are called synchronously; a listener that throws is dropped from
 * this delivery only, so one broken client cannot starve the others.
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();

  listen(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  publish(event: EventName, data: unknown): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(event, data);
      } catch {
        // a listener's failure is its own business
      }
    }
  }
}
