/**
 * A Qingliu node as a child process (`node bin/qingliu.js serve`), as an operator runs it: started
 * with its settings in the environment, ready when /readyz answers 200, stopped with SIGTERM or killed
 * with SIGKILL. Plus a small keep-alive HTTP client to talk to it, which tells a refusal (an answer)
 * from a failure (no answer: the connection was refused or dropped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildNode {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:PORT`, as the node printed it. */
  readonly url: string;
  /** The one-time setup token the node printed when there was no administrator yet. */
  readonly setupToken: string | undefined;
  /** Everything the node wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGKILL: no shutdown of any kind. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, the graceful shutdown. Resolves with the exit code (null if it died of a signal). */
  stop(timeoutMs?: number): Promise<number | null>;
}

export interface StartNodeOptions {
  /** A label for messages. */
  name: string;
  /** Settings for the node; PORT defaults to 0 (a free port) and HOST to 127.0.0.1. */
  env: Record<string, string>;
  /** How long start-up (the node printing its address, then /readyz answering 200) may take. */
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** Settings of the parent that must not reach the node: it gets only what the test gives it. */
const isSetting = (key: string) => key.startsWith('QINGLIU_') || ['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(key);

/** Starts `qingliu serve` and waits until it answers /readyz with 200. */
export async function startNode(options: StartNodeOptions): Promise<ChildNode> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !isSetting(key)));
  Object.assign(env, { PORT: '0', HOST: '127.0.0.1', ...options.env });
  const child = spawn(process.execPath, ['bin/qingliu.js', 'serve'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const describe = () => `node ${options.name} (pid ${child.pid ?? '?'})`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);

  try {
    // The address line comes first; the staff lines (a setup link, or where to sign in) close the banner.
    let url: string | undefined;
    let setupToken: string | undefined;
    for (;;) {
      const address = /Viewer page \(观众\):\s+(http:\/\/\S+?)\/live\/demo/.exec(out);
      if (address && /setup\?token=\S+|Staff sign in at/.test(out)) {
        url = address[1];
        setupToken = /setup\?token=([A-Za-z0-9_-]+)/.exec(out)?.[1];
        break;
      }
      if (gone) throw new Error(`${describe()} exited during start-up`);
      if (Date.now() > deadline) throw new Error(`${describe()} printed no address in time`);
      await sleep(50);
    }
    for (;;) {
      const res = await httpJson(url!, 'GET', '/readyz').catch(() => undefined);
      if (res?.status === 200) break;
      if (gone) throw new Error(`${describe()} exited before it was ready`);
      if (Date.now() > deadline) throw new Error(`${describe()} was not ready in time (last /readyz: ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'no answer'})`);
      await sleep(100);
    }
    const pid = child.pid!;
    return {
      name: options.name,
      pid,
      url: url!,
      setupToken,
      output: () => out,
      alive: () => !gone,
      async kill() {
        if (!gone) child.kill('SIGKILL');
        await exited;
      },
      async stop(timeoutMs = 15_000) {
        if (gone) return (await exited).code;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const { code } = await exited;
        clearTimeout(timer);
        return code;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(err as Error).message}\n--- its output ---\n${out}`);
  }
}

/** Kills every node this module started that still runs (after a failed test). */
export async function killAllNodes(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/**
 * One request with a JSON body (if any); resolves with the answer, whatever its status, and rejects
 * when there is no answer (refused, reset, hung up, or no answer within timeoutMs).
 */
export function httpJson(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
  options: { agent?: http.Agent; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(new URL(pathname, base), {
      method,
      agent: options.agent ?? false,
      headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }), ...options.headers },
      timeout: options.timeoutMs ?? 10_000,
    });
    req.once('timeout', () => req.destroy(new Error(`no answer to ${method} ${pathname} in time`)));
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('aborted', () => reject(new Error('answer cut off')));
      res.once('end', () => {
        if (!res.complete) return reject(new Error('answer cut off'));
        let parsed: unknown = text;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: kept as text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
    });
    req.end(payload);
  });
}

/** The seconds a 503 answer asks to wait (Retry-After), or undefined for any other answer. */
export function retryAfterSeconds(answer: HttpAnswer): number | undefined {
  if (answer.status !== 503) return undefined;
  const seconds = Number(answer.headers['retry-after']);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * As httpJson, but as a polite client: a 503 with Retry-After (the node shedding load, or not ready)
 * is retried after the wait it asks for, until `withinMs` has passed.
 */
export async function httpJsonServed(
  base: string,
  method: string,
  pathname: string,
  body?: unknown,
  options: Parameters<typeof httpJson>[4] & { withinMs?: number } = {},
): Promise<HttpAnswer> {
  const deadline = Date.now() + (options.withinMs ?? 30_000);
  for (;;) {
    const answer = await httpJson(base, method, pathname, body, options);
    const wait = retryAfterSeconds(answer);
    if (wait === undefined || Date.now() + wait * 1000 > deadline) return answer;
    await sleep(wait * 1000);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates the first administrator with the node's setup token and signs in; returns the cookie
 * header to send. Only a node that printed a setup token (no administrator yet) can do this.
 */
export async function signInFirstAdmin(node: ChildNode, name = 'reliability-admin', password = 'correct horse battery staple'): Promise<string> {
  if (!node.setupToken) throw new Error(`node ${node.name} printed no setup token (an administrator exists already)`);
  const setup = await httpJson(node.url, 'POST', '/api/v1/auth/setup', { token: node.setupToken, name, password });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${JSON.stringify(setup.body)}`);
  const login = await httpJson(node.url, 'POST', '/api/v1/auth/login', { name, password });
  if (login.status !== 200) throw new Error(`sign-in failed: ${login.status} ${JSON.stringify(login.body)}`);
  const setCookie = login.headers['set-cookie']?.[0];
  if (!setCookie) throw new Error('sign-in set no cookie');
  return setCookie.split(';')[0]!;
}
