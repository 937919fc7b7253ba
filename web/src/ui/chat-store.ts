/**
 * The room's chat outside the page's render: the room socket writes it, and only the components that
 * show the chat subscribe (`useChat`). A busy room sends up to 20 chat frames a second; they re-render
 * the chat, not the whole live page with its product list.
 */
import { useEffect, useState } from 'preact/hooks';
import { EMPTY_CHAT, type ChatState } from './chat-state.ts';

export class ChatStore {
  private state: ChatState = EMPTY_CHAT;
  private readonly listeners = new Set<() => void>();

  get(): ChatState {
    return this.state;
  }

  /** Replaces the state and tells the subscribers (nothing happens when it is the same object). */
  set(next: ChatState): void {
    if (next === this.state) return;
    this.state = next;
    for (const listener of [...this.listeners]) listener();
  }

  update(change: (current: ChatState) => ChatState): void {
    this.set(change(this.state));
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** The chat's current state; the calling component re-renders when it changes. */
export function useChat(store: ChatStore): ChatState {
  const [state, setState] = useState(() => store.get());
  useEffect(() => {
    setState(store.get()); // a change between the first render and this subscription
    return store.subscribe(() => setState(store.get()));
  }, [store]);
  return state;
}
