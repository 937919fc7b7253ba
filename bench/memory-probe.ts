/**
 * A child server's own memory, read from inside it: a second, tiny HTTP server on 127.0.0.1 (not the
 * server under test) answering GET /memory with process.memoryUsage() after two full garbage
 * collections, so that heap figures are what is live, not what awaits collection. Used by
 * bench/fanout-10k.ts through bench/server-child.ts and bench/bare-ws-child.ts (`control` on their
 * command line); off unless asked for, so the other benchmarks run the children unchanged.
 */
import fs from 'node:fs';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface MemoryReading {
  /** Resident set, heap used and total, memory outside the heap (Buffers, sockets' native parts), bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Peak resident set so far (Linux VmHWM), bytes, or undefined. */
  peakRss: number | undefined;
  /** How long the two collections took, ms (they pause the server). */
  gcMs: number;
}

/** Starts the probe; resolves with its port. */
export function startMemoryProbe(): Promise<number> {
  // The child runs without --expose-gc (lib's startChild sets no Node flags): expose it now.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/memory') {
      res.writeHead(404).end();
      return;
    }
    const t0 = performance.now();
    gc();
    gc();
    const gcMs = performance.now() - t0;
    const m = process.memoryUsage();
    const reading: MemoryReading = { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, peakRss: peakRss(), gcMs };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reading));
  });
  server.keepAliveTimeout = 0;
  // Never keeps the child alive by itself.
  server.unref();
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function peakRss(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
