/** What a key does in a list with a current row: move it, open it, or ask to delete it. */
export type ListKeyAction = { kind: 'move'; index: number } | { kind: 'open'; index: number } | { kind: 'delete'; index: number } | undefined;

/**
 * Arrow keys move the current row (Home/End/PageUp/PageDown too), Enter opens it, Delete (or
 * Backspace on a Mac keyboard) asks to remove it. Keys typed into a field are not ours.
 */
export function listKey(key: string, current: number, count: number, page = 10): ListKeyAction {
  if (count === 0) return undefined;
  const at = Math.min(Math.max(current, -1), count - 1);
  const move = (i: number): ListKeyAction => ({ kind: 'move', index: Math.min(Math.max(i, 0), count - 1) });
  switch (key) {
    case 'ArrowDown':
      return move(at + 1);
    case 'ArrowUp':
      return move(at < 0 ? count - 1 : at - 1);
    case 'Home':
      return move(0);
    case 'End':
      return move(count - 1);
    case 'PageDown':
      return move(at + page);
    case 'PageUp':
      return move(at - page);
    case 'Enter':
      return at >= 0 ? { kind: 'open', index: at } : undefined;
    case 'Delete':
    case 'Backspace':
      return at >= 0 ? { kind: 'delete', index: at } : undefined;
    default:
      return undefined;
  }
}

/**
 * A list's keydown, the same on every page: the key's action on the current row, a moved-to
 * row scrolled into view (rows carry data-testid=`row` and data-index). Keys typed into a
 * field or a button inside the list are not ours.
 */
export function onListKey(e: KeyboardEvent, current: number, count: number, row: string, act: { move: (i: number) => void; open: (i: number) => void; remove: (i: number) => void }): void {
  if ((e.target as HTMLElement).closest('input, button, a, select, textarea')) return;
  const a = listKey(e.key, current, count);
  if (!a) return;
  e.preventDefault();
  if (a.kind === 'move') {
    act.move(a.index);
    queueMicrotask(() => document.querySelector(`[data-testid="${row}"][data-index="${a.index}"]`)?.scrollIntoView?.({ block: 'nearest' }));
  } else if (a.kind === 'open') act.open(a.index);
  else act.remove(a.index);
}
