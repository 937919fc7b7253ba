/**
 * The access log: every staff read, export, deletion or correction of personal data appends one
 * entry, in the same transaction as the access; checkpoints sign the tree head with Ed25519; verify
 * recomputes everything from what is stored and lists every problem with its position.
 */
import { AppError } from '../../errors/index.js';
import type { Clock, RequestContext } from '../../context/index.js';
import { actorProblems, encodeEntry, recordProblems, requestIdProblem, type AccessActor, type AccessRecord } from './entry.js';
import { checkpointText } from './signing.js';
import { LogVerifier, type VerifyReport } from './verify.js';
import type { AccessLogDb, AccessLogStore, SigningKey, SigningKeyStore, StoredCheckpoint } from './ports.js';

export interface RecordedAccess {
  readonly seq: number;
  readonly leafHash: string;
}

export interface VerifyOptions {
  /** Check an inclusion proof for every entry (O(n log n) hashes), not only each checkpoint's last. */
  readonly allInclusionProofs?: boolean;
}

const PAGE = 5000;

export class AccessLogService {
  constructor(
    private readonly store: AccessLogStore,
    private readonly keys: SigningKeyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends the entry for one access. Pass the transaction the access runs in, so both commit or
   * neither does; append last in it, since the log's head stays locked until it ends. Invalid input
   * (personal data as the subject, an anonymous actor) is a programming fault and throws, which also
   * rolls the access back.
   */
  async record(ctx: RequestContext, access: AccessRecord, tx?: AccessLogDb): Promise<RecordedAccess> {
    const actor = actorOf(ctx);
    const problems = [...recordProblems(access).map((p) => `${p.field}: ${p.reason}`), ...actorProblems(actor)];
    const badRequestId = requestIdProblem(ctx.requestId);
    if (badRequestId) problems.push(badRequestId);
    if (problems.length) throw new AppError('VALIDATION_FAILED', `access-log entry: ${problems.join('; ')}`);
    const at = new Date(this.clock.now()).toISOString();
    const stored = await this.store.append(
      (seq) => encodeEntry({ seq, at, actor, action: access.action, subject: access.subject, purpose: access.purpose, requestId: ctx.requestId }),
      tx,
    );
    return { seq: stored.seq, leafHash: stored.leafHash };
  }

  /**
   * Signs the current tree head. Makes the key on first use; for a log that already has signed
   * checkpoints, a missing or different key is an error (AUDIT_KEY_UNAVAILABLE), never replaced.
   */
  async checkpoint(_ctx: RequestContext): Promise<StoredCheckpoint> {
    const latest = await this.store.latestCheckpoint();
    let key = this.keys.load();
    if (!key) {
      if (latest) throw missingKey(this.keys.location, latest.number + 1);
      key = this.keys.create();
    }
    if (latest && latest.keyId !== key.keyId) {
      throw new AppError(
        'AUDIT_KEY_UNAVAILABLE',
        `the access-log key ${this.keys.location} (${key.keyId}) is not the key that signed checkpoint #${latest.number} (${latest.keyId}); restore that key`,
      );
    }
    const signer: SigningKey = key;
    return this.store.addCheckpoint((head) => {
      const createdAt = this.clock.now();
      const signature = signer.sign(checkpointText({ ...head, createdAt }));
      return { createdAt, keyId: signer.keyId, signature: Buffer.from(signature).toString('base64') };
    });
  }

  /** Recomputes the tree from the stored entries and checks it against every signed checkpoint. */
  async verify(_ctx: RequestContext, options: VerifyOptions = {}): Promise<VerifyReport> {
    const headBefore = await this.store.head();
    const checkpoints = await this.store.checkpoints();
    let key: SigningKey | undefined;
    if (checkpoints.length > 0 || headBefore.checkpoints > 0) {
      key = this.keys.load();
      if (!key) throw missingKey(this.keys.location, Math.max(checkpoints.length, headBefore.checkpoints));
    }
    const verifier = new LogVerifier({ headBefore, checkpoints, key, allInclusionProofs: options.allInclusionProofs ?? false });
    for (let from = 0; ; ) {
      const page = await this.store.entries(from, PAGE);
      for (const row of page) verifier.addEntry(row);
      if (page.length < PAGE) break;
      from = page[page.length - 1]!.seq + 1;
    }
    return verifier.finish(await this.store.head());
  }
}

function actorOf(ctx: RequestContext): AccessActor {
  if (ctx.actor.kind === 'staff') return { id: ctx.actor.id, role: ctx.actor.role };
  if (ctx.actor.kind === 'system') return { id: 'system', role: 'system' };
  throw new AppError('FORBIDDEN', 'only staff (or the operator’s shell) access personal data');
}

function missingKey(location: string, signed: number): AppError {
  return new AppError(
    'AUDIT_KEY_UNAVAILABLE',
    `the access-log key ${location} is missing, but the log has ${signed} signed checkpoint(s); restore the key file (a new key is never made for a signed log)`,
  );
}
