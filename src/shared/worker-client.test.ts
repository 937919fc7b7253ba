import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerClient } from './worker-client.js';

class ThreadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A worker script in a temporary file. */
function script(source: string): URL {
  const file = join(mkdtempSync(join(tmpdir(), 'qingliu-worker-client-')), 'worker.mjs');
  writeFileSync(file, `import { parentPort, workerData } from 'node:worker_threads';\n${source}\n`);
  return pathToFileURL(file);
}

/** Doubles `n`; answers an error for a negative one; exits the thread on `die`. */
const DOUBLER = script(`
parentPort.on('message', (m) => {
  if (m.type === 'close') { parentPort.postMessage({ type: 'closed' }); parentPort.close(); return; }
  if (m.die) process.exit(7);
  if (m.n < 0) return parentPort.postMessage({ type: 'done', id: m.id, error: { code: 'NEGATIVE', message: 'n < 0' } });
  parentPort.postMessage({ type: 'done', id: m.id, doubled: m.n * 2, by: workerData?.name ?? null });
});`);

describe('WorkerClient', () => {
  const clients: WorkerClient[] = [];
  const client = (options: { restartAfterMs?: number; workerData?: unknown } = {}) => {
    const c = new WorkerClient(DOUBLER, { name: 'doubler', error: (code, message) => new ThreadError(code, message), ...options });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('answers each request with the fields of its answer, requests asked together each their own', async () => {
    const c = client({ workerData: { name: 'w1' } });
    const answers = await Promise.all([1, 2, 3].map((n) => c.request({ type: 'double', n })));
    expect(answers).toEqual([1, 2, 3].map((n) => ({ doubled: n * 2, by: 'w1' })));
  });

  it('refuses a failed request with the thread’s code, and one it cannot hand over, and answers the next', async () => {
    const c = client();
    await expect(c.request({ n: -1 })).rejects.toMatchObject({ code: 'NEGATIVE', message: 'n < 0' });
    await expect(c.request({ n: () => 1 })).rejects.toMatchObject({ code: 'NOT_CLONEABLE' });
    expect(await c.request({ n: 4 })).toMatchObject({ doubled: 8 });
  });

  it('refuses the requests in hand when the thread dies, fails fast for restartAfterMs, then starts a new thread', async () => {
    const c = client({ restartAfterMs: 300 });
    const inHand = c.request({ n: 1, die: true });
    await expect(inHand).rejects.toMatchObject({ code: 'WORKER_EXITED', message: 'doubler thread exited with code 7' });
    await expect(c.request({ n: 2 })).rejects.toMatchObject({ code: 'WORKER_EXITED' });
    await new Promise((r) => setTimeout(r, 350));
    expect(await c.request({ n: 2 })).toMatchObject({ doubled: 4 });
  });

  it('answers what was handed over before close, then refuses', async () => {
    const c = client();
    const before = c.request({ n: 5 });
    const closed = c.close();
    expect(await before).toMatchObject({ doubled: 10 });
    await closed;
    await expect(c.request({ n: 1 })).rejects.toMatchObject({ code: 'CLOSED', message: 'the doubler thread is closed' });
  });
});
