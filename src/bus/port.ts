/**
 * The Bus port: room-wide messages between the services and every node's WebSocket gateway.
 * One node uses the in-process adapter; many nodes use a broker adapter with the same contract
 * (test/contracts/bus.contract.test.ts runs on both).
 */
import { AppError } from '../errors/index.js';

export type BusHandler = (message: unknown) => void;

export interface Bus {
  /** Which adapter this is (`memory`, `nats`): /readyz reports it beside the storage dialect. */
  readonly kind: BusKind;
  /**
   * Delivers a JSON value to every current subscriber of the topic (on every node, for a broker
   * adapter), in publish order per publisher. Rejects with `BusUnavailableError` while the adapter
   * cannot deliver (a broker connection is down), rather than dropping the message unseen.
   */
  publish(topic: string, message: unknown): Promise<void>;
  /** Returns a function that ends the subscription (calling it again does nothing). */
  subscribe(topic: string, handler: BusHandler): () => void;
  /**
   * Resolves once every subscription and publish made before the call is in effect at the broker,
   * so a message another node publishes afterwards reaches the new subscribers (NATS: one round
   * trip to the server; in process: at once). Subscribe, flush, then read the state to build on.
   */
  flush(): Promise<void>;
  /**
   * Calls the listener each time a lost broker connection is back (subscriptions are in effect
   * again). Messages published meanwhile were not delivered here: whoever caches what the bus keeps
   * fresh drops it then. Never called on the in-process adapter. Returns a function that unregisters.
   */
  onReconnect(listener: () => void): () => void;
  /** Whether a publish now would be delivered: false while a broker is unreachable, and once closed. */
  ready(): boolean;
  close(): Promise<void>;
}

export type BusKind = 'memory' | 'nats';

/**
 * Topics are dot-separated tokens of lower-case letters, digits, `-` and `_` (`room.demo.chat`,
 * `privacy.viewer_changed`). They are used as NATS subjects as they are, so anything that a broker
 * would read as a wildcard (`*`, `>`), an empty token or whitespace is refused on every adapter.
 */
const TOPIC = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const MAX_TOPIC_LENGTH = 256;

export function isValidTopic(topic: string): boolean {
  return topic.length <= MAX_TOPIC_LENGTH && TOPIC.test(topic);
}

export function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || !isValidTopic(topic)) {
    throw new TypeError(
      `bus topic ${JSON.stringify(String(topic).slice(0, 80))} is not valid: use dot-separated tokens of a-z, 0-9, "-" and "_" (at most ${MAX_TOPIC_LENGTH} characters, no wildcards)`,
    );
  }
}

/**
 * The bus cannot deliver now (its broker connection is down). A 503 `NOT_READY` if it reaches a
 * route, so a client retries; the caller may refuse the write instead of letting nodes disagree.
 */
export class BusUnavailableError extends AppError {
  constructor(detail = 'the message bus is not connected; try again shortly') {
    super('NOT_READY', detail);
    this.name = 'BusUnavailableError';
  }
}

export const BUS_CLOSED = 'bus closed';
