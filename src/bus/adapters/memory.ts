/**
 * In-process bus: one node, or several apps in one process sharing one instance (the cluster
 * tests). Delivery is synchronous and in publish order; a failing handler does not stop others.
 * Messages are passed by reference, not copied: handlers must not change them.
 */
import { assertTopic, BUS_CLOSED, type Bus, type BusHandler } from '../port.js';

export class MemoryBus implements Bus {
  readonly kind = 'memory';
  readonly #topics = new Map<string, Set<BusHandler>>();
  #closed = false;

  constructor(private readonly onHandlerError: (err: unknown) => void = () => undefined) {}

  async publish(topic: string, message: unknown): Promise<void> {
    assertTopic(topic);
    if (this.#closed) throw new Error(BUS_CLOSED);
    const handlers = this.#topics.get(topic);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.onHandlerError(err);
      }
    }
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    assertTopic(topic);
    let handlers = this.#topics.get(topic);
    if (!handlers) this.#topics.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      const set = this.#topics.get(topic);
      if (!set) return;
      set.delete(handler);
      if (set.size === 0) this.#topics.delete(topic);
    };
  }

  async flush(): Promise<void> {
    // Subscriptions take effect at once, and delivery is synchronous.
  }

  onReconnect(): () => void {
    // In process there is no connection to lose.
    return () => undefined;
  }

  ready(): boolean {
    return !this.#closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#topics.clear();
  }
}
