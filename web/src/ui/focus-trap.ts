/**
 * Keeping keyboard focus inside a modal (WAI-ARIA dialog pattern): Tab from the last element goes to
 * the first, Shift+Tab from the first to the last. The index logic is pure; the DOM part only lists
 * what can take focus.
 */

/**
 * Which of `count` focusable elements takes focus after Tab (or Shift+Tab) when the element at
 * `current` has it (-1: focus is on none of them, e.g. on the dialog's heading). -1 when there is
 * nothing to focus.
 */
export function nextTabIndex(count: number, current: number, backwards: boolean): number {
  if (count <= 0) return -1;
  if (current < 0 || current >= count) return backwards ? count - 1 : 0;
  return backwards ? (current - 1 + count) % count : (current + 1) % count;
}

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'summary',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** The elements Tab visits inside `root`, in document order (hidden ones left out). */
export function tabbables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => el.tabIndex >= 0 && !el.closest('[hidden], [inert]') && el.getClientRects().length > 0,
  );
}

/** Handles Tab inside `root`; true when it moved focus (the caller's event default is prevented). */
export function trapTab(root: HTMLElement, event: KeyboardEvent): boolean {
  if (event.key !== 'Tab') return false;
  const items = tabbables(root);
  const active = root.ownerDocument.activeElement;
  const index = nextTabIndex(items.length, items.findIndex((el) => el === active), event.shiftKey);
  event.preventDefault();
  (items[index] ?? root).focus();
  return true;
}
