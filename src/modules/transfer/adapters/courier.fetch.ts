/**
 * The outbound HTTP adapter: the one place in src/ allowed to open a network request (an ESLint rule
 * forbids fetch, http(s).request, undici and WebSocket clients everywhere else). Only the transfer
 * gateway holds it, and calls it only for a transfer it has allowed.
 */
import type { Courier, DeliveryResult, OutboundRequest } from '../ports.js';

export class FetchCourier implements Courier {
  async deliver(request: OutboundRequest): Promise<DeliveryResult> {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        // A redirect could point anywhere: the registry names the one place data may go.
        redirect: 'error',
        signal: AbortSignal.timeout(request.timeoutMs),
      });
    } catch (err) {
      return { kind: 'failed', reason: isTimeout(err) ? 'timeout' : 'network' };
    }
    try {
      const body = await readLimited(response, request.maxResponseBytes);
      if (body === undefined) return { kind: 'failed', reason: 'response_too_large' };
      return { kind: 'answered', status: response.status, contentType: response.headers.get('content-type'), body };
    } catch (err) {
      return { kind: 'failed', reason: isTimeout(err) ? 'timeout' : 'network' };
    }
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** The body as text, or undefined once it exceeds the limit (the rest is not read). */
async function readLimited(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
