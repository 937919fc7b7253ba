/**
 * The Bus on core NATS, for many nodes. Each topic is a NATS subject as it is (optionally under a
 * prefix); payloads are JSON. Every node's messages go through the server, its own included, so
 * all subscribers everywhere see one publisher's messages in the order it sent them.
 *
 * Delivery is core NATS's: at most once, to the subscribers connected at that moment. Nothing is
 * stored or replayed, which is right for live fan-out (a viewer who missed a change resyncs from
 * the database on the next seq gap); durable events belong on JetStream, not here.
 *
 * Disconnects: the client reconnects on its own, forever, re-sending the subscriptions. While it is
 * disconnected the client would buffer publishes and then discard that buffer when it dials again,
 * so a publish would vanish unseen; this adapter refuses instead (`BusUnavailableError`, a 503), and
 * `ready()` is false so /readyz takes the node out of rotation. A publish in the instant between the
 * socket dropping and the client noticing can still be lost: that is the at-most-once above.
 */
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { assertTopic, BUS_CLOSED, BusUnavailableError, type Bus, type BusHandler } from '../port.js';

export interface NatsBusOptions {
  /** `nats://host:port` (or `host:port`) of one or more servers of one cluster. */
  servers: readonly string[];
  /** Shown in the server's monitoring pages. */
  name?: string;
  /** Puts every subject under `<prefix>.` (tests share one server; a deployment normally has none). */
  subjectPrefix?: string;
  /** A handler threw, or a message on a subscribed subject was not JSON. The subscription goes on. */
  onHandlerError?: (err: unknown) => void;
  /** The connection went down or came back (to log it; `ready()` follows it). */
  onConnectionChange?: (change: { connected: boolean; server: string }) => void;
  /** How long the first connection may take before `connect` fails (default 5 s). */
  connectTimeoutMs?: number;
  /** Pause between reconnect attempts (default 1 s, plus up to 100 ms of jitter). */
  reconnectWaitMs?: number;
  /** A connection that answers no ping for about twice this long is taken as dead (default 10 s). */
  pingIntervalMs?: number;
}

interface Topic {
  handlers: Set<BusHandler>;
  subscription: Subscription;
}

export class NatsBus implements Bus {
  readonly kind = 'nats';
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #onHandlerError: (err: unknown) => void;
  readonly #topics = new Map<string, Topic>();
  readonly #reconnectListeners = new Set<() => void>();
  #connected = true;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc;
    this.#prefix = options.subjectPrefix ? `${options.subjectPrefix}.` : '';
    this.#onHandlerError = options.onHandlerError ?? (() => undefined);
    void this.#watch(options.onConnectionChange);
  }

  /** Connects to the first reachable server; fails (rather than waiting) if none answers in time. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    if (options.servers.length === 0) throw new TypeError('NatsBus needs at least one server');
    if (options.subjectPrefix !== undefined) assertTopic(options.subjectPrefix);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...options.servers],
        ...(options.name ? { name: options.name } : {}),
        timeout: options.connectTimeoutMs ?? 5000,
        // After the first connection, never give up: /readyz reports the outage meanwhile.
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectWaitMs ?? 1000,
        pingInterval: options.pingIntervalMs ?? 10_000,
        maxPingOut: 2,
      });
    } catch (err) {
      throw new Error(`cannot connect to NATS at ${options.servers.join(', ')}: ${(err as Error).message}`, { cause: err });
    }
    return new NatsBus(nc, options);
  }

  async publish(topic: string, message: unknown): Promise<void> {
    assertTopic(topic);
    if (this.#closed) throw new Error(BUS_CLOSED);
    if (!this.ready()) throw new BusUnavailableError();
    const json = JSON.stringify(message);
    if (json === undefined) throw new TypeError(`bus message on "${topic}" is not a JSON value`);
    try {
      this.#nc.publish(this.#prefix + topic, json);
    } catch (err) {
      // Too large for the server's max_payload, or the connection closed under us.
      throw new Error(`bus: cannot publish on "${topic}" (${json.length} characters): ${(err as Error).message}`, { cause: err });
    }
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    assertTopic(topic);
    if (this.#closed) throw new Error(BUS_CLOSED);
    let entry = this.#topics.get(topic);
    if (!entry) {
      // One NATS subscription per topic on this node, shared by its handlers: each message is
      // parsed once, and every handler sees it in the order the server delivered it.
      const handlers = new Set<BusHandler>();
      const subscription = this.#nc.subscribe(this.#prefix + topic, {
        callback: (err, msg) => {
          if (err) return this.#onHandlerError(err);
          this.#deliver(topic, handlers, msg);
        },
      });
      entry = { handlers, subscription };
      this.#topics.set(topic, entry);
    }
    const own = entry;
    own.handlers.add(handler);
    return () => {
      if (!own.handlers.delete(handler) || own.handlers.size > 0) return;
      if (this.#topics.get(topic) === own) this.#topics.delete(topic);
      if (!this.#closed) own.subscription.unsubscribe();
    };
  }

  async flush(): Promise<void> {
    if (this.#closed) throw new Error(BUS_CLOSED);
    if (!this.ready()) throw new BusUnavailableError();
    // The server answers the ping after it has processed every SUB and PUB sent before it.
    await this.#nc.flush();
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => void this.#reconnectListeners.delete(listener);
  }

  ready(): boolean {
    return this.#connected && !this.#closed && !this.#nc.isClosed();
  }

  /** Drains: messages already received are handed to their handlers, pending publishes are sent, then the connection closes. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    if (this.#nc.isClosed()) return;
    if (!this.#connected) {
      // Draining waits for the server; with none there, just close.
      await this.#nc.close();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 5000)));
    try {
      const outcome = await Promise.race([this.#nc.drain().then(() => 'drained' as const), timeout]);
      if (outcome === 'timeout') await this.#nc.close();
    } catch {
      await this.#nc.close().catch(() => undefined);
    } finally {
      clearTimeout(timer);
      this.#topics.clear();
    }
  }

  #deliver(topic: string, handlers: Set<BusHandler>, msg: Msg): void {
    let message: unknown;
    try {
      message = msg.json();
    } catch (err) {
      this.#onHandlerError(new Error(`bus: a message on "${topic}" is not JSON`, { cause: err }));
      return;
    }
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch (err) {
        // Thrown inside the client's read loop it would end the connection's reader: never let it.
        this.#onHandlerError(err);
      }
    }
  }

  async #watch(onChange: NatsBusOptions['onConnectionChange']): Promise<void> {
    const tell = (connected: boolean, server: string) => {
      try {
        onChange?.({ connected, server });
      } catch {
        // a logger's failure is not the bus's
      }
    };
    try {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect' || status.type === 'staleConnection') {
          if (this.#connected) tell(false, 'server' in status ? status.server : this.#nc.getServer());
          this.#connected = false;
        } else if (status.type === 'reconnect') {
          this.#connected = true;
          tell(true, status.server);
          for (const listener of [...this.#reconnectListeners]) {
            try {
              listener();
            } catch (err) {
              this.#onHandlerError(err);
            }
          }
        }
      }
    } finally {
      // The status stream ends when the connection closes for good.
      this.#connected = false;
    }
  }
}
