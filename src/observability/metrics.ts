/** Prometheus metrics on a registry of the app's own (several apps can live in one test process). */
import client from 'prom-client';
import type { GatewayMetrics } from '../modules/live-room/index.js';

export interface AppMetrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  gateway: GatewayMetrics;
}

export function createMetrics(): AppMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'qingliu_' });
  const httpDuration = new client.Histogram({
    name: 'qingliu_http_request_duration_seconds',
    help: 'HTTP request duration by route template (never by raw URL, which could carry ids)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const wsConnections = new client.Gauge({ name: 'qingliu_ws_connections', help: 'Open live-room WebSocket connections', registers: [registry] });
  const wsSent = new client.Counter({ name: 'qingliu_ws_messages_sent_total', help: 'Messages sent to live-room sockets', registers: [registry] });
  const wsSlow = new client.Counter({
    name: 'qingliu_ws_slow_consumers_dropped_total',
    help: 'Sockets dropped because they could not keep up',
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    gateway: {
      connectionOpened: () => wsConnections.inc(),
      connectionClosed: () => wsConnections.dec(),
      messagesSent: (n) => wsSent.inc(n),
      slowConsumerDropped: () => wsSlow.inc(),
    },
  };
}
