import { describe, expect, it } from 'vitest';
import { EMPTY_CHAT, withPendingSend } from './chat-state.ts';
import { ChatStore } from './chat-store.ts';

describe('ChatStore', () => {
  it('tells its subscribers about each new state, not about the same one, and stops when asked', () => {
    const store = new ChatStore();
    expect(store.get()).toBe(EMPTY_CHAT);
    const seen: number[] = [];
    const stop = store.subscribe(() => seen.push(store.get().pending.length));
    store.update((s) => withPendingSend(s, 'send-0001'));
    store.set(store.get());
    store.update((s) => withPendingSend(s, 'send-0002'));
    stop();
    store.update((s) => withPendingSend(s, 'send-0003'));
    expect(seen).toEqual([1, 2]);
    expect(store.get().pending).toEqual(['send-0001', 'send-0002', 'send-0003']);
  });

  it('lets a subscriber unsubscribe while being told', () => {
    const store = new ChatStore();
    const calls: string[] = [];
    const stopA = store.subscribe(() => {
      calls.push('a');
      stopA();
    });
    store.subscribe(() => calls.push('b'));
    store.update((s) => withPendingSend(s, 'send-0001'));
    store.update((s) => withPendingSend(s, 'send-0002'));
    expect(calls).toEqual(['a', 'b', 'b']);
  });
});
