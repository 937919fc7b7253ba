/**
 * Resolves on the event loop's next turn (after pending I/O callbacks): long work on the request
 * thread awaits it between slices so that requests are served in between. A resolved promise is not
 * enough: its continuation runs as a microtask, before any I/O.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
