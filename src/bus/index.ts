/**
 * The bus's public face: the port, its two adapters, and `openBus(url)` which picks one from
 * `QINGLIU_BUS_URL` (`memory`, or `nats://host:port[,nats://host:port…]`).
 */
import { MemoryBus } from './adapters/memory.js';
import { NatsBus, type NatsBusOptions } from './adapters/nats.js';
import type { Bus } from './port.js';

export { assertTopic, BusUnavailableError, isValidTopic, type Bus, type BusHandler, type BusKind } from './port.js';
export { MemoryBus } from './adapters/memory.js';
export { NatsBus, type NatsBusOptions } from './adapters/nats.js';

export type BusTarget = { readonly kind: 'memory' } | { readonly kind: 'nats'; readonly servers: readonly string[] };

/**
 * Reads a bus URL: `memory`, or a comma-separated list of `nats://host[:port]` (one cluster's
 * servers). Returns undefined for anything else. Credentials in the URL are refused: the NATS
 * client would silently ignore them.
 */
export function parseBusUrl(raw: string): BusTarget | undefined {
  const value = raw.trim();
  if (value === 'memory') return { kind: 'memory' };
  const servers: string[] = [];
  for (const part of value.split(',').map((s) => s.trim())) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      return undefined;
    }
    const bare = url.pathname === '' || url.pathname === '/';
    if (url.protocol !== 'nats:' || url.hostname === '' || url.username !== '' || url.password !== '' || !bare || url.search !== '' || url.hash !== '') return undefined;
    servers.push(`nats://${url.host}${url.port === '' ? ':4222' : ''}`);
  }
  return servers.length > 0 ? { kind: 'nats', servers } : undefined;
}

/** Opens the bus a URL names (see parseBusUrl); a NATS bus is connected before this resolves. */
export async function openBus(
  url: string,
  options: Pick<NatsBusOptions, 'name' | 'onHandlerError' | 'onConnectionChange' | 'subjectPrefix'> = {},
): Promise<Bus> {
  const target = parseBusUrl(url);
  if (!target) throw new TypeError('bus URL must be memory or nats://host:port[,nats://host:port…]');
  if (target.kind === 'memory') return new MemoryBus(options.onHandlerError);
  return NatsBus.connect({ ...options, servers: target.servers });
}
