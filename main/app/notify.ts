import type { ContainerStateEvent, Settings } from '../../shared/api.js';
import { Notifier, type NotifierOptions } from '../../shared/notifications.js';
import type { EventHub } from '../server/hub.js';

/** The slice of Electron's Notification class used here. */
export interface NotificationLike {
  show(): void;
  close(): void;
  on(event: 'click', fn: () => void): void;
}
export interface NotificationCtor {
  new (opts: { title: string; body: string; silent?: boolean }): NotificationLike;
  isSupported(): boolean;
}

/**
 * Native notifications for container starts and stops, from the engine's event stream (so
 * CLI-started containers count too), through the same Notifier rules as the browser: crash
 * vs user stop, one notice per restart loop, rate limit, mute. Clicking one opens that
 * container. A repeat replaces the notification on screen instead of stacking a new one.
 */
export function startDesktopNotifications(
  hub: EventHub,
  Notification: NotificationCtor,
  opts: { initial: Settings; onClick: (containerId: string) => void; notifier?: NotifierOptions },
): () => void {
  const notifier = new Notifier(opts.notifier);
  notifier.muted = opts.initial.notificationsMuted;
  const shown = new Map<string, NotificationLike>();
  return hub.listen((event, data) => {
    if (event === 'settings.changed') {
      notifier.muted = (data as Settings).notificationsMuted;
      return;
    }
    if (event !== 'container.state') return;
    const d = notifier.consider(data as ContainerStateEvent);
    if (!d || !d.desktop || !Notification.isSupported()) return;
    shown.get(d.notice.key)?.close();
    const n = new Notification({ title: d.notice.title, body: d.notice.body, silent: d.isUpdate });
    n.on('click', () => opts.onClick(d.notice.containerId));
    shown.set(d.notice.key, n);
    if (shown.size > 50) shown.delete(shown.keys().next().value!);
    n.show();
  });
}
