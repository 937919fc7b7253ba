/**
 * Shared plumbing for the benchmarks: servers in child processes, a plain HTTP client, percentiles,
 * machine facts and table printing. Nothing here measures anything by itself.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

// ---- servers in child processes ----

export interface ChildServer<Info> {
  name: string;
  pid: number;
  /** What the child printed on its first stdout line (at least { port }). */
  info: Info & { port: number };
  /** SIGTERM, then SIGKILL after a grace period; resolves when the child has exited. */
  stop(): Promise<void>;
  /** Seconds of CPU (user + system) the child has used so far, or undefined off Linux. */
  cpuSeconds(): number | undefined;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every child still running; safe to call from an 'exit' handler (synchronous). */
export function killAllChildren(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/**
 * Starts `node --import tsx bench/<script>` and waits for its first stdout line, a JSON object with
 * the port it listens on. The child also exits by itself when our end of its stdin closes, so it
 * cannot outlive a crashed parent.
 */
export function startChild<Info>(script: string, args: string[] = [], name = script): Promise<ChildServer<Info>> {
  if (!exitHookInstalled) {
    process.on('exit', killAllChildren);
    exitHookInstalled = true;
  }
  // BENCH_CHILD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server children.
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(BENCH_DIR, script), ...args], {
    cwd: ROOT_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no ready line within 60 s\n${stderr}`));
    }, 60_000);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})\n${stderr}`));
    };
    child.once('exit', onExit);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', function onData(d: string) {
      buffer += d;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      clearTimeout(timer);
      child.off('exit', onExit);
      let info: Info & { port: number };
      try {
        info = JSON.parse(buffer.slice(0, nl)) as Info & { port: number };
      } catch {
        child.kill('SIGKILL');
        reject(new Error(`${name}: first line is not JSON: ${buffer.slice(0, nl)}`));
        return;
      }
      child.once('exit', (code, signal) => {
        // A child killed outright cannot remove its own temporary data directory.
        const dataDir = (info as { dataDir?: unknown }).dataDir;
        if (typeof dataDir === 'string' && path.basename(dataDir).startsWith('qingliu-bench-') && path.dirname(dataDir) === os.tmpdir()) {
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
        if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGKILL') {
          process.stderr.write(`\n[bench] ${name} exited unexpectedly (code ${code}, signal ${signal})\n${stderr}\n`);
        }
      });
      resolve({
        name,
        pid: child.pid!,
        info,
        cpuSeconds: () => processCpuSeconds(child.pid!),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const grace = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(grace);
        },
      });
    });
  });
}

/** utime + stime of a process from /proc (Linux), in seconds. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds all processes on the machine have spent busy (Linux /proc/stat), or undefined. */
export function machineBusySeconds(): number | undefined {
  try {
    const first = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = first.trim().split(/\s+/).slice(1).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Watches a measured window: CPU used by the server child, by this process (the load generator)
 * and by everything else on the machine (other people's builds and tests), each as % of one core.
 */
export function cpuWindow(serverPid: number): () => { serverPercent?: number; clientPercent: number; otherPercent?: number; seconds: number } {
  const wall0 = performance.now();
  const server0 = processCpuSeconds(serverPid);
  const client0 = process.cpuUsage();
  const busy0 = machineBusySeconds();
  return () => {
    const seconds = (performance.now() - wall0) / 1000;
    const server1 = processCpuSeconds(serverPid);
    const c = process.cpuUsage(client0);
    const busy1 = machineBusySeconds();
    const client = (c.user + c.system) / 1e6;
    const server = server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined;
    const pct = (x: number) => (x / seconds) * 100;
    return {
      seconds,
      clientPercent: pct(client),
      ...(server !== undefined ? { serverPercent: pct(server) } : {}),
      ...(busy0 !== undefined && busy1 !== undefined && server !== undefined ? { otherPercent: Math.max(0, pct(busy1 - busy0 - server - client)) } : {}),
    };
  };
}

/** Above this much CPU used by other processes (% of one core) a measurement is flagged as noisy. */
export const NOISY_OTHER_CPU_PERCENT = 25;

/**
 * Other people's builds and tests share this machine. Before a measurement, wait (up to maxWaitMs)
 * for a one-second window in which everything else uses less than NOISY_OTHER_CPU_PERCENT of a
 * core. Never changes the workload; only picks a quieter moment. Returns how long it waited.
 */
export async function waitForQuiet(serverPid: number | undefined, maxWaitMs = 60_000): Promise<{ waitedMs: number; otherPercent: number | undefined }> {
  const started = performance.now();
  let other: number | undefined;
  let warned = false;
  for (;;) {
    const busy0 = machineBusySeconds();
    const self0 = process.cpuUsage();
    const server0 = serverPid === undefined ? 0 : processCpuSeconds(serverPid);
    await sleep(1000);
    const busy1 = machineBusySeconds();
    const self = process.cpuUsage(self0);
    const server1 = serverPid === undefined ? 0 : processCpuSeconds(serverPid);
    if (busy0 === undefined || busy1 === undefined || server0 === undefined || server1 === undefined) return { waitedMs: 0, otherPercent: undefined };
    other = Math.max(0, (busy1 - busy0 - (self.user + self.system) / 1e6 - (server1 - server0)) * 100);
    const waited = performance.now() - started;
    if (other < NOISY_OTHER_CPU_PERCENT || waited >= maxWaitMs) return { waitedMs: waited, otherPercent: other };
    if (!warned) {
      log(`other processes are using ${Math.round(other)} % of a core; waiting up to ${Math.round(maxWaitMs / 1000)} s for a quieter moment …`);
      warned = true;
    }
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Called from a child script: exit when the parent goes away (its end of our stdin closes). */
export function exitWithParent(shutdown: () => void): void {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/**
 * Called from a child script serving an app: when the parent goes away, close the app once (its
 * onClose hooks flush what they hold) and exit, forcing the exit after 5 s if closing hangs.
 */
export function closeAppWithParent(app: { close(): Promise<unknown> }, beforeClose: () => Promise<void> = async () => {}): void {
  let closing = false;
  exitWithParent(() => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    beforeClose().then(() => app.close()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/**
 * QINGLIU_BENCH_CPU_PROFILE=<file> in a server child's environment: its main thread is profiled
 * from this call on (V8's sampling profiler); the returned function stops it and writes the
 * `.cpuprofile` (open it in Chrome's DevTools). Without the variable it does nothing.
 */
export function cpuProfileFromEnv(): () => Promise<void> {
  const file = process.env.QINGLIU_BENCH_CPU_PROFILE;
  if (!file) return async () => {};
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  return () =>
    new Promise<void>((resolve) => {
      session.post('Profiler.stop', (err, result) => {
        if (!err) fs.writeFileSync(file, JSON.stringify(result.profile));
        resolve();
      });
    });
}

// ---- a plain HTTP client (one keep-alive connection, no hidden headers) ----

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** From just before the request was written to the last byte of the body. */
  ms: number;
}

export const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export function httpRequest(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string; agent?: http.Agent } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const started = performance.now();
    const req = http.request(url, { method, headers, agent: options.agent ?? keepAliveAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

// ---- statistics ----

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
  return percentile(Float64Array.from(values).sort(), 50);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- machine and limits ----

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  availableParallelism: number;
  totalMemoryGiB: number;
  platform: string;
  kernel: string;
  node: string;
  openFilesLimit: number | undefined;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    openFilesLimit: openFilesLimit(),
  };
}

/** The soft limit on open files this process (and its children) runs under, from the shell. */
export function openFilesLimit(): number | undefined {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out) || undefined;
  } catch {
    return undefined;
  }
}

/** The commit under test, and whether src/ differs from it (others edit the tree while we measure). */
export function codeVersion(): { commit: string | undefined; srcModified: boolean | undefined } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', '--short', 'HEAD'), srcModified: git('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return { commit: undefined, srcModified: undefined };
  }
}

// ---- printing ----

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  const line = (r: string[]) => '| ' + r.map((c, i) => c + ' '.repeat(widths[i]! - displayWidth(c))).join(' | ') + ' |';
  return [line(cells[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

/** Width in a monospace terminal: CJK characters take two columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}

export const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : '—');
export const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
export const fmtOther = (pct: number | undefined) =>
  pct === undefined ? '—' : `${Math.round(pct)} %${pct > NOISY_OTHER_CPU_PERCENT ? ' *' : ''}`;
export const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
