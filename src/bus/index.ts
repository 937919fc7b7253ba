/**
 * The Bus port: room-wide messages between the services and every node's WebSocket gateway.
 * One node uses the in-process adapter; many nodes use a broker adapter with the same contract.
 */
export type BusHandler = (message: unknown) => void;

export interface Bus {
  /** Delivers to every current subscriber of the topic (on every node, for a broker adapter). */
  publish(topic: string, message: unknown): Promise<void>;
  /** Returns a function that ends the subscription. */
  subscribe(topic: string, handler: BusHandler): () => void;
  close(): Promise<void>;
}

/** In-process bus: delivery is synchronous and in publish order; a failing handler does not stop others. */
export class MemoryBus implements Bus {
  readonly #topics = new Map<string, Set<BusHandler>>();
  #closed = false;

  constructor(private readonly onHandlerError: (err: unknown) => void = () => undefined) {}

  async publish(topic: string, message: unknown): Promise<void> {
    if (this.#closed) throw new Error('bus closed');
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

  async close(): Promise<void> {
    this.#closed = true;
    this.#topics.clear();
  }
}
