/**
 * The access log: every staff read, export, deletion or correction of personal data appends one
 * entry, in the same transaction as the access; checkpoints sign the tree head with Ed25519; verify
 * recomputes everything from what is stored and lists every problem with its position. Verification
 * runs are recorded (for the compliance console and every node); past retention, entry bodies are
 * pruned while their leaf hashes keep the tree verifiable.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppError, fail, ok, type Result } from '../../errors/index.js';
import { systemContext, type Clock, type RequestContext } from '../../context/index.js';
import {
  PRUNE_PURPOSE,
  RESERVED_SUBJECT_PREFIX,
  actorProblems,
  decodeEntry,
  encodeEntry,
  pruneSubject,
  recordProblems,
  requestIdProblem,
  type AccessActor,
  type AccessRecord,
} from './entry.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { checkpointText } from './signing.js';
import { LogVerifier, type VerifyReport } from './verify.js';
import type { AccessLogDb, AccessLogStore, SigningKey, SigningKeyStore, StaffDirectory, StoredCheckpoint, VerificationRun } from './ports.js';

export interface RecordedAccess {
  readonly seq: number;
  readonly leafHash: string;
}

export interface VerifyOptions {
  /** Check an inclusion proof for every entry (O(n log n) hashes), not only each checkpoint's last. */
  readonly allInclusionProofs?: boolean;
}

/** How long access-log entries keep their body (S1): at least 3 years. */
export const ACCESS_LOG_KEEP_DAYS = 1096;

/** What the compliance console shows: cheap to read (no verification runs here). */
export interface AccessLogStatus {
  /** Entries appended so far (the tree size). */
  readonly entries: number;
  /** Entries below this position may have had their body pruned past retention. */
  readonly prunedBelow: number;
  readonly latestCheckpoint: { number: number; treeSize: number; rootHash: string; createdAt: string; keyId: string } | null;
  /** Entries appended after the latest checkpoint (all of them when none is signed). */
  readonly entriesSinceCheckpoint: number;
  /** The log's public key, for checking checkpoints elsewhere; null before the first checkpoint. */
  readonly key: { keyId: string; publicKeyPem: string } | null;
  /** Set when the key exists but cannot be used (e.g. AUDIT_KEY_UNAVAILABLE). */
  readonly keyError: string | null;
  readonly lastVerification: VerificationRunView | null;
}

export interface VerificationRunView {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** Who ran it; `name` is the staff account's sign-in name, looked up when read (null for `system` or an account that no longer exists). */
  readonly by: AccessActor & { readonly name: string | null };
  readonly status: VerificationRun['status'];
  readonly problemCount: number;
  readonly errorCode: string | null;
  readonly report: VerifyReport | null;
}

export interface InclusionProofView {
  readonly seq: number;
  readonly treeSize: number;
  /** SHA-256(0x00 ‖ entry) of the stored body, or the stored leaf hash of a pruned entry. */
  readonly leafHash: string;
  readonly pruned: boolean;
  /** Hex sibling hashes, bottom-up (RFC 9162 §2.1.3); null when the store lacks a node it needs. */
  readonly proof: string[] | null;
  readonly checkpoint: StoredCheckpoint;
  /** The checkpoint's signature verifies under the log's key, and the proof leads to its root. */
  readonly verified: boolean;
}

const PAGE = 5000;
/** Problems kept with a recorded run (the count is always kept). */
const MAX_RECORDED_PROBLEMS = 200;
/** Entries whose bodies one prune transaction removes. */
const PRUNE_BATCH = 50_000;
const SYSTEM_ACTOR: AccessActor = { id: 'system', role: 'system' };

export class AccessLogService {
  #running: Promise<VerificationRun> | undefined;

  constructor(
    private readonly store: AccessLogStore,
    private readonly keys: SigningKeyStore,
    private readonly clock: Clock,
    /** Names who ran a verification; without it the status shows the account id only. */
    private readonly staff?: StaffDirectory,
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
    if (typeof access.subject === 'string' && access.subject.startsWith(RESERVED_SUBJECT_PREFIX)) problems.push(`subject: ${RESERVED_SUBJECT_PREFIX}… names the log itself`);
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

  /** Signs a checkpoint when entries were appended since the latest one; else returns undefined. */
  async checkpointIfUnsigned(ctx: RequestContext): Promise<StoredCheckpoint | undefined> {
    const [head, latest] = [await this.store.head(), await this.store.latestCheckpoint()];
    if (head.treeSize === (latest?.treeSize ?? 0)) return undefined;
    return this.checkpoint(ctx);
  }

  /** Recomputes the tree from the stored entries and checks it against every signed checkpoint. */
  async verify(_ctx: RequestContext, options: VerifyOptions = {}): Promise<VerifyReport> {
    const headBefore = await this.store.head();
    const prunedBelow = await this.store.pruneHorizon();
    const checkpoints = await this.store.checkpoints();
    let key: SigningKey | undefined;
    if (checkpoints.length > 0 || headBefore.checkpoints > 0) {
      key = this.keys.load();
      if (!key) throw missingKey(this.keys.location, Math.max(checkpoints.length, headBefore.checkpoints));
    }
    const verifier = new LogVerifier({ headBefore, checkpoints, key, allInclusionProofs: options.allInclusionProofs ?? false, prunedBelow });
    for (let from = 0; ; ) {
      const page = await this.store.entries(from, PAGE);
      for (const row of page) verifier.addEntry(row);
      if (page.length < PAGE) break;
      from = page[page.length - 1]!.seq + 1;
    }
    const headAfter = await this.store.head();
    return verifier.finish(headAfter, await this.store.pruneHorizon());
  }

  /**
   * Runs the verifier and records the run (who, when, how long, ok or the problems found) where
   * every node reads it. A run that cannot complete (the key is missing) is recorded as `error`
   * and rethrown. Concurrent calls in one process share one run.
   */
  runVerification(ctx: RequestContext, options: VerifyOptions = {}): Promise<VerificationRun> {
    this.#running ??= this.#verifyAndRecord(ctx, options).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * For a periodic job on every node: runs the verifier unless a run (on any node) started less than
   * `maxAgeMs` ago; returns the run, or undefined when none was due.
   */
  async verifyIfDue(ctx: RequestContext, maxAgeMs: number): Promise<VerificationRun | undefined> {
    const last = await this.store.latestVerification();
    if (last && this.clock.now() - last.startedAt < maxAgeMs) return undefined;
    return this.runVerification(ctx);
  }

  async #verifyAndRecord(ctx: RequestContext, options: VerifyOptions): Promise<VerificationRun> {
    const actor = actorOf(ctx);
    const startedAt = this.clock.now();
    const t0 = performance.now();
    let report: VerifyReport | null = null;
    let errorCode: string | null = null;
    let failure: unknown;
    try {
      report = await this.verify(ctx, options);
    } catch (err) {
      failure = err;
      errorCode = err instanceof AppError ? err.code : 'INTERNAL';
    }
    const run: VerificationRun = {
      id: randomUUID(),
      startedAt,
      finishedAt: this.clock.now(),
      durationMs: Math.round(performance.now() - t0),
      actor,
      status: report ? (report.ok ? 'ok' : 'failed') : 'error',
      report: report && { ...report, problems: report.problems.slice(0, MAX_RECORDED_PROBLEMS) },
      problemCount: report?.problems.length ?? 0,
      errorCode,
    };
    await this.store.saveVerification(run);
    if (failure !== undefined) throw failure;
    return run;
  }

  /** The console's view: entries, the latest checkpoint and key, the last verification run. */
  async status(_ctx: RequestContext): Promise<AccessLogStatus> {
    const head = await this.store.head();
    const latest = await this.store.latestCheckpoint();
    const prunedBelow = await this.store.pruneHorizon();
    const last = await this.store.latestVerification();
    let key: SigningKey | undefined;
    let keyError: string | null = null;
    try {
      key = this.keys.load();
    } catch (err) {
      keyError = err instanceof AppError ? err.code : 'INTERNAL';
    }
    return {
      entries: head.treeSize,
      prunedBelow,
      latestCheckpoint: latest
        ? { number: latest.number, treeSize: latest.treeSize, rootHash: latest.rootHash, createdAt: new Date(latest.createdAt).toISOString(), keyId: latest.keyId }
        : null,
      entriesSinceCheckpoint: head.treeSize - (latest?.treeSize ?? 0),
      key: key ? { keyId: key.keyId, publicKeyPem: key.publicKeyPem } : null,
      keyError,
      lastVerification: last ? await this.runView(last) : null,
    };
  }

  /** A run as the API shows it, with the sign-in name of the staff account that ran it. */
  async runView(run: VerificationRun): Promise<VerificationRunView> {
    const name = run.actor.role !== 'system' && this.staff ? await this.staff.nameOf(run.actor.id) : null;
    return verificationRunView(run, name);
  }

  /**
   * An inclusion proof for entry `seq` against the latest signed checkpoint, built from the stored
   * subtree hashes (O(log n) rows), and checked here: the signature and the proof.
   */
  async inclusionProof(_ctx: RequestContext, seq: number): Promise<Result<InclusionProofView>> {
    const row = await this.store.entry(seq);
    if (!row) return fail('NOT_FOUND', `no access-log entry at position ${seq}`);
    const checkpoint = await this.store.latestCheckpoint();
    if (!checkpoint || seq >= checkpoint.treeSize) return fail('AUDIT_ENTRY_UNSIGNED', `position ${seq} is after the latest signed checkpoint`);
    const key = this.keys.load();
    if (!key) throw missingKey(this.keys.location, checkpoint.number + 1);
    const pruned = row.entry === '';
    const leaf = pruned ? Buffer.from(row.leafHash, 'hex') : leafHash(row.entry);
    const proof = await this.store.inclusionProof(seq, checkpoint.treeSize);
    const signed =
      checkpoint.keyId === key.keyId &&
      key.verify(checkpointText({ number: checkpoint.number, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, createdAt: checkpoint.createdAt }), Buffer.from(checkpoint.signature, 'base64'));
    const proven = proof !== undefined && verifyInclusion(seq, checkpoint.treeSize, leaf, proof, Buffer.from(checkpoint.rootHash, 'hex'));
    return ok({
      seq,
      treeSize: checkpoint.treeSize,
      leafHash: leaf.toString('hex'),
      pruned,
      proof: proof ? proof.map((h) => h.toString('hex')) : null,
      checkpoint,
      verified: signed && proven,
    });
  }

  /**
   * Retention (S1): removes the bodies of the entries appended before `cutoff` (epoch ms), a
   * contiguous prefix, keeping their leaf hashes so the tree still verifies. Stops at the first
   * entry that is newer, or whose body does not match its leaf hash (the verifier must still see
   * that). Entries are pruned only under a signed checkpoint (one is signed first when needed; if
   * the key of a signed log is missing, only already signed entries are pruned), and each prune
   * appends an entry stating the new horizon. Verification runs older than the cutoff
   * go too (the latest is kept). Returns the number of bodies removed.
   */
  async purgeBefore(cutoff: number): Promise<number> {
    const ctx = systemContext('access-log retention');
    let total = 0;
    for (;;) {
      const horizon = await this.store.pruneHorizon();
      const prunable = await this.prunableEnd(horizon, cutoff);
      let end = prunable;
      if (end <= horizon) break;
      const latest = await this.store.latestCheckpoint();
      if (!latest || latest.treeSize < end) {
        try {
          await this.checkpoint(ctx);
        } catch (err) {
          // Without the key (a signed log whose key file is missing), prune only what is already
          // signed; the rest waits for the key. Retention's other categories still run.
          if (!(err instanceof AppError && err.code === 'AUDIT_KEY_UNAVAILABLE')) throw err;
          end = Math.min(end, latest?.treeSize ?? 0);
          if (end <= horizon) break;
        }
      }
      const at = new Date(this.clock.now()).toISOString();
      const { pruned } = await this.store.pruneBodies(end, (seq, below) =>
        encodeEntry({ seq, at, actor: SYSTEM_ACTOR, action: 'delete', subject: pruneSubject(below), purpose: PRUNE_PURPOSE, requestId: ctx.requestId }),
      );
      total += pruned;
      if (end < prunable || end - horizon < PRUNE_BATCH) break;
    }
    await this.store.purgeVerifications(cutoff);
    return total;
  }

  /** One past the last entry from `horizon` on (at most PRUNE_BATCH) that may lose its body. */
  private async prunableEnd(horizon: number, cutoff: number): Promise<number> {
    let end = horizon;
    while (end - horizon < PRUNE_BATCH) {
      const page = await this.store.entries(end, Math.min(PAGE, horizon + PRUNE_BATCH - end));
      for (const row of page) {
        if (row.seq !== end || row.entry === '' || leafHash(row.entry).toString('hex') !== row.leafHash) return end;
        const entry = decodeEntry(row.entry);
        if (!entry || !(Date.parse(entry.at) < cutoff)) return end;
        end++;
      }
      if (page.length === 0) return end;
    }
    return end;
  }
}

/** A run as the API shows it (ISO times), with the runner's name when known. */
export function verificationRunView(run: VerificationRun, name: string | null = null): VerificationRunView {
  return {
    id: run.id,
    startedAt: new Date(run.startedAt).toISOString(),
    finishedAt: new Date(run.finishedAt).toISOString(),
    durationMs: run.durationMs,
    by: { id: run.actor.id, role: run.actor.role, name },
    status: run.status,
    problemCount: run.problemCount,
    errorCode: run.errorCode,
    report: run.report,
  };
}

function actorOf(ctx: RequestContext): AccessActor {
  if (ctx.actor.kind === 'staff') return { id: ctx.actor.id, role: ctx.actor.role };
  if (ctx.actor.kind === 'system') return SYSTEM_ACTOR;
  throw new AppError('FORBIDDEN', 'only staff (or the operator’s shell) access personal data');
}

function missingKey(location: string, signed: number): AppError {
  return new AppError(
    'AUDIT_KEY_UNAVAILABLE',
    `the access-log key ${location} is missing, but the log has ${signed} signed ${signed === 1 ? 'checkpoint' : 'checkpoints'}; restore the key file (a new key is never made for a signed log)`,
  );
}
