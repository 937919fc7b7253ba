// The fairness audit's thread (see audit-thread.ts): reads the decision log through a read-only
// connection of its own, and computes audits. The engine and the store are TypeScript, so the
// thread loads them through tsx's loader, as the `qingliu` command does for the whole program.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { computeAudit } = await import('../audit/engine.ts');
const { logBuffers } = await import('../audit/log.ts');

/** The read-only connection and the store over it, opened on the first read. */
let reader;
let store;
const storeOf = async () => {
  if (!store) {
    const [{ openReader }, { KyselyFairnessStore }] = await Promise.all([import('../../../storage/index.ts'), import('./fairness.kysely.ts')]);
    reader = openReader(workerData.database);
    store = new KyselyFairnessStore(reader.db);
  }
  return store;
};

// The error's name, code and message only: the audit's input and the decision log hold no
// personal data, and a failed read or computation names a fault, not a row.
const failure = (code, err) => ({ code, message: `${err?.name ?? 'Error'}${err?.code ? ` ${err.code}` : ''}: ${String(err?.message ?? err)}` });

async function collect(message) {
  try {
    const { collectDecisions } = await import('./collect.ts');
    const collected = await collectDecisions(await storeOf(), message.scope, { measured: true });
    parentPort.postMessage({ type: 'done', id: message.id, ...collected }, collected.log ? logBuffers(collected.log) : []);
  } catch (err) {
    parentPort.postMessage({ type: 'done', id: message.id, error: failure('READ_FAILED', err) });
  }
}

function compute(message) {
  const start = performance.now();
  try {
    const computation = computeAudit(message.log, message.input);
    parentPort.postMessage({ type: 'done', id: message.id, computation, cpuMicros: Math.round((performance.now() - start) * 1000) });
  } catch (err) {
    parentPort.postMessage({ type: 'done', id: message.id, error: failure('COMPUTE_FAILED', err) });
  }
}

/** Requests are answered one after another, in the order asked (a read waits for the database). */
let queue = Promise.resolve();
parentPort.on('message', (message) => {
  queue = queue
    .then(async () => {
      if (message.type === 'close') {
        await reader?.close().catch(() => undefined);
        parentPort.postMessage({ type: 'closed' });
        parentPort.close();
      } else if (message.type === 'collect') await collect(message);
      else compute(message);
    })
    // Each request answers its own failure; nothing a request does may stop the ones after it.
    .catch(() => undefined);
});
