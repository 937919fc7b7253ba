/**
 * Simulated traffic (LC4: no faked traffic in real rooms). The simulator marks every request and
 * socket with the `x-qingliu-simulated: 1` header. Outside demo mode such a request is refused
 * before its handler or any validation runs (403 SIMULATION_REFUSED). In demo mode it is served,
 * and the room it touched is remembered so that the room's pages can say, for as long as it lasts
 * and ten minutes after, that the room includes a simulated audience.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/index.js';

export const SIMULATED_HEADER = 'x-qingliu-simulated';
/** How long after the last simulated request a room is still labelled. */
export const SIMULATED_LABEL_MS = 10 * 60_000;

export class SimulatedTraffic {
  readonly #rooms = new Map<string, { first: number; last: number; requests: number }>();
  readonly #listeners: ((sessionId: string) => void)[] = [];

  /** Told of every simulated request to a room (e.g. to mark what runs there as simulated). */
  onRoom(listener: (sessionId: string) => void): void {
    this.#listeners.push(listener);
  }

  note(sessionId: string, at: number): void {
    for (const listener of this.#listeners) listener(sessionId);
    const r = this.#rooms.get(sessionId);
    if (r) {
      r.last = Math.max(r.last, at);
      r.requests++;
    } else this.#rooms.set(sessionId, { first: at, last: at, requests: 1 });
  }

  /** Whether the room has had simulated traffic lately, and since when. */
  of(sessionId: string, now: number): { simulated: boolean; since: number | null; lastAt: number | null; requests: number } {
    const r = this.#rooms.get(sessionId);
    if (!r || now - r.last > SIMULATED_LABEL_MS) return { simulated: false, since: null, lastAt: null, requests: 0 };
    return { simulated: true, since: r.first, lastAt: r.last, requests: r.requests };
  }
}

const SESSION_PATH = /^\/api\/v1\/sessions\/([a-z0-9][a-z0-9-]{0,62})(?:\/|\?|$)/;

export function installSimulatedTraffic(app: FastifyInstance, options: { mode: 'demo' | 'production'; traffic: SimulatedTraffic; now: () => number }): void {
  // At preValidation, like the other refusals of an upgrade: the socket is answered and released.
  // Callback-style: every request passes here, and only a marked one has anything to do.
  app.addHook('preValidation', (request, _reply, done) => {
    const marked = request.headers[SIMULATED_HEADER];
    if (marked === undefined) return done();
    if (options.mode !== 'demo') return done(new AppError('SIMULATION_REFUSED', 'this server runs in production mode; simulated audiences run only in demo mode'));
    const session = SESSION_PATH.exec(request.url)?.[1];
    if (session) options.traffic.note(session, options.now());
    done();
  });
}
