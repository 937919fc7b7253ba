/** Prometheus metrics on a registry of the app's own (several apps can live in one test process). */
import client from 'prom-client';
import type { GatewayMetrics } from '../modules/live-room/index.js';
import type { EnergyConfig } from '../config/index.js';
import type { Accounting, StoredSample } from '../modules/energy/index.js';

export interface AppMetrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  gateway: GatewayMetrics;
  /** Adds each stored energy sample to the energy and carbon counters. */
  energySampled: (sample: StoredSample, accounting: Accounting) => void;
  /** Publishes the grid factor and PUE in use (as labels and values). */
  watchEnergy: (energy: EnergyConfig) => void;
  /** A viewer's chat message: accepted, shadowed, or the refusal's code. */
  chatMessage: (outcome: string) => void;
  /** A request or WebSocket write refused because the node is overloaded. */
  shed: (surface: 'http' | 'ws') => void;
  /** Reads the rows made and not yet written at each scrape. */
  watchUnwrittenRows: (read: () => number) => void;
  /** An assistant reply: its outcome and how long it took. */
  assistantAnswered: (outcome: string, seconds: number) => void;
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
  const chatMessages = new client.Counter({
    name: 'qingliu_chat_messages_total',
    help: "Viewers' chat messages by outcome: accepted, shadowed (a shadow-banned viewer's), or the refusal code (CHAT_RATE_LIMITED, CHAT_BLOCKED_WORDS, …)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const assistantSeconds = new client.Histogram({
    name: 'qingliu_assistant_answer_seconds',
    help: 'Shopping-assistant replies by outcome (answered, handoff, declined): time from question to reply',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Energy and carbon, added per stored sample (every QINGLIU_ENERGY_SAMPLE_SECONDS): rates over them
  // give watts and gCO2e per hour; the method label says model or RAPL.
  const cpuSeconds = new client.Counter({
    name: 'qingliu_energy_cpu_seconds_total',
    help: 'Process CPU time by metered component ("other": the framework, I/O, garbage collection)',
    labelNames: ['component'] as const,
    registers: [registry],
  });
  const energyKwh = new client.Counter({
    name: 'qingliu_energy_kwh_total',
    help: 'Facility energy (× PUE) by component, kWh, by the method named',
    labelNames: ['component', 'method'] as const,
    registers: [registry],
  });
  const carbonG = new client.Counter({
    name: 'qingliu_carbon_grams_total',
    help: 'Operational emissions, grams CO2e (location-based grid factor; offsets never reduce it)',
    registers: [registry],
  });
  const recommendations = new client.Counter({ name: 'qingliu_energy_recommendations_total', help: 'Recommendation lists served, as metered', registers: [registry] });
  const sciGauge = new client.Gauge({
    name: 'qingliu_sci_grams_per_1000_recommendations',
    help: 'SCI over the last stored sample with recommendations: gCO2e (operational, plus embodied when configured) per 1,000 recommendations',
    registers: [registry],
  });
  const factorGauge = new client.Gauge({
    name: 'qingliu_energy_grid_factor_kg_per_kwh',
    help: 'The location-based grid factor in use, with its region and year',
    labelNames: ['region', 'factor', 'year'] as const,
    registers: [registry],
  });
  const shed = new client.Counter({
    name: 'qingliu_shed_total',
    help: 'Requests (http) and viewer WebSocket writes (ws) refused with OVERLOADED while the node was over a load limit',
    labelNames: ['surface'] as const,
    registers: [registry],
  });
  let unwrittenRows: () => number = () => 0;
  new client.Gauge({
    name: 'qingliu_unwritten_rows',
    help: 'Rows this node made and has not written yet (decision log, model updates); past QINGLIU_OVERLOAD_MAX_UNWRITTEN_ROWS public requests are shed',
    registers: [registry],
    collect() {
      this.set(unwrittenRows());
    },
  });
  const pueGauge = new client.Gauge({ name: 'qingliu_energy_pue', help: 'The data centre PUE in use', registers: [registry] });
  return {
    registry,
    httpDuration,
    chatMessage: (outcome) => chatMessages.inc({ outcome }),
    shed: (surface) => shed.inc({ surface }),
    watchUnwrittenRows: (read) => {
      unwrittenRows = read;
    },
    assistantAnswered: (outcome, seconds) => assistantSeconds.observe({ outcome }, seconds),
    energySampled: (sample, accounting) => {
      for (const line of accounting.components) {
        if (line.component !== 'memory') {
          cpuSeconds.inc({ component: line.component }, line.cpuSeconds);
        }
        energyKwh.inc({ component: line.component, method: accounting.method }, line.energyKwh);
      }
      carbonG.inc(accounting.carbonG);
      recommendations.inc(sample.counts.recommend);
      if (accounting.sciPer1000Recommendations !== null) sciGauge.set(accounting.sciPer1000Recommendations);
    },
    watchEnergy: (energy) => {
      factorGauge.set({ region: energy.region.id, factor: energy.factor.id, year: String(energy.factor.year) }, energy.factor.kgPerKwh);
      pueGauge.set(energy.pue);
    },
    gateway: {
      connectionOpened: () => wsConnections.inc(),
      connectionClosed: () => wsConnections.dec(),
      messagesSent: (n) => wsSent.inc(n),
      slowConsumerDropped: () => wsSlow.inc(),
    },
  };
}
