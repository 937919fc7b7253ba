/**
 * Security headers, computed once at start-up and set on every reply. (Running helmet's middleware
 * per request re-parses its whole policy each time, which cost more than our handlers.)
 *
 * Pages and their assets get helmet's set with our content security policy. The JSON API under
 * `/api/v1/` gets the short set the OWASP REST Security Cheat Sheet gives for API responses: a
 * policy that allows nothing and no framing (a response opened as a document can run nothing),
 * nosniff, DENY framing, no referrer, same-origin resources. The document-only headers (XSS
 * auditor, DNS prefetch, download options, agent clusters) say nothing to a JSON client and would
 * be sent some 700 bytes at a time.
 */
import helmet, { type HelmetOptions } from 'helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

/** The headers of every response under API_PREFIX. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
});

export const API_PREFIX = '/api/v1/';

export function installSecurityHeaders(app: FastifyInstance, pageOptions: Readonly<HelmetOptions>): void {
  const pageHeaders = securityHeaders(pageOptions);
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(API_PREFIX) ? API_SECURITY_HEADERS : pageHeaders);
    done();
  });
}
