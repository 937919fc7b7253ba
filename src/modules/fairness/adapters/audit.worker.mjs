// The fairness audit's thread (see audit-thread.ts). The engine is TypeScript, so the thread loads
// it through tsx's loader, as the `qingliu` command does for the whole program.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { computeAudit } = await import('../audit/engine.ts');

parentPort.on('message', (message) => {
  if (message.type === 'close') {
    parentPort.postMessage({ type: 'closed' });
    parentPort.close();
    return;
  }
  const start = performance.now();
  try {
    const computation = computeAudit(message.log, message.input);
    parentPort.postMessage({ type: 'done', id: message.id, computation, cpuMicros: Math.round((performance.now() - start) * 1000) });
  } catch (err) {
    // The error's name and message only: an audit's input holds no personal data, and its
    // message names a fault in the engine, not a row.
    parentPort.postMessage({ type: 'done', id: message.id, error: { code: 'COMPUTE_FAILED', message: `${err?.name ?? 'Error'}: ${String(err?.message ?? err)}` } });
  }
});
