/**
 * The access log's compliance routes (S3): its verification status, a verification run and a
 * checkpoint on demand, and an inclusion proof for one entry. Nothing here returns an entry's body
 * (which names staff and pseudonymous subjects): only positions, hashes, kinds of problems and counts.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { unwrap } from '../../errors/index.js';
import type { AccessLogService } from './service.js';

const officers = ['compliance', 'admin'] as const;

const VerifyBody = Type.Object(
  {
    allInclusionProofs: Type.Optional(
      Type.Boolean({ description: 'Check an inclusion proof for every entry (slower; the recomputed tree already covers them), not only each checkpoint’s last' }),
    ),
  },
  { additionalProperties: false },
);

export function accessLogRoutes(accessLog: AccessLogService) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/compliance/access-log/status',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Access-log status: entries, the latest signed checkpoint, entries since, and the last verification run (on any node)',
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return accessLog.status(request.ctx);
      },
    );

    app.post(
      '/api/v1/compliance/access-log/verify',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Verify the whole access log now (recompute the tree, signatures, consistency and inclusion proofs against every checkpoint) and record the run',
          body: VerifyBody,
        },
        // No body at all (a bare POST) is a plain run.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request) => {
        const body = request.body as { allInclusionProofs?: boolean };
        return accessLog.runView(await accessLog.runVerification(request.ctx, { allInclusionProofs: body.allInclusionProofs ?? false }));
      },
    );

    app.post(
      '/api/v1/compliance/access-log/checkpoint',
      {
        config: { access: officers },
        schema: { tags: ['compliance'], summary: 'Sign the access log’s current tree head with its Ed25519 key' },
      },
      async (request) => {
        const c = await accessLog.checkpoint(request.ctx);
        return { number: c.number, treeSize: c.treeSize, rootHash: c.rootHash, createdAt: new Date(c.createdAt).toISOString(), keyId: c.keyId, signature: c.signature };
      },
    );

    app.get(
      '/api/v1/compliance/access-log/entries/:seq/proof',
      {
        config: { access: officers },
        schema: {
          tags: ['compliance'],
          summary: 'Inclusion proof of one entry (by position) in the latest signed checkpoint, built from stored subtree hashes and checked',
          params: Type.Object({ seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
        },
      },
      async (request) => {
        const { seq } = request.params as { seq: number };
        const p = unwrap(await accessLog.inclusionProof(request.ctx, seq));
        return { ...p, checkpoint: { ...p.checkpoint, createdAt: new Date(p.checkpoint.createdAt).toISOString() } };
      },
    );
  };
}
