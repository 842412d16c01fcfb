/**
 * Whether the window is shown: timers on a page (log follow, the "Up 3 minutes" clock) stop
 * while it is hidden or minimised, and catch up as soon as it is shown again. A page that is
 * not the current route is unmounted, so its timers are gone already.
 */
export const visibility = $state({ shown: typeof document === 'undefined' ? true : !document.hidden });

if (typeof document !== 'undefined') {
  document.addEventListener('visibilitychange', () => (visibility.shown = !document.hidden));
}
