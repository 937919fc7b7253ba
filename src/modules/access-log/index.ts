/**
 * Access log: a tamper-evident (RFC 6962 Merkle tree) record of every staff read, export, deletion
 * or correction of personal data, with Ed25519-signed checkpoints, a verifier whose runs are
 * recorded, retention that prunes entry bodies but keeps the tree verifiable, and proofs served
 * from the store.
 */
export {
  AccessLogService,
  ACCESS_LOG_KEEP_DAYS,
  verificationRunView,
  type AccessLogStatus,
  type InclusionProofView,
  type RecordedAccess,
  type VerificationRunView,
  type VerifyOptions,
} from './service.js';
export { AccessLogJob, type AccessLogJobOptions, type AccessLogJobOutcome } from './schedule.js';
export { accessLogRoutes } from './routes.js';
export { KyselyAccessLogStore } from './adapters/access-log.kysely.js';
export { FileSigningKeyStore, accessLogKeyFile, ACCESS_LOG_KEY_FILE } from './adapters/signing-key.file.js';
export { MemorySigningKeyStore } from './adapters/signing-key.memory.js';
export { LogVerifier, describeProblem, type Problem, type ProblemKind, type VerifyReport } from './verify.js';
export {
  ACCESS_ACTIONS,
  PRUNE_PURPOSE,
  encodeEntry,
  decodeEntry,
  pruneSubject,
  prunedBelowOf,
  type AccessAction,
  type AccessEntry,
  type AccessRecord,
  type AccessActor,
} from './entry.js';
export { checkpointText, CHECKPOINT_ORIGIN } from './signing.js';
export { leafHash, nodeHash, rootOf, rootFromInclusionProof, verifyInclusion, verifyConsistency, inclusionProof, consistencyProof, EMPTY_ROOT } from './merkle.js';
export { Frontier, MerkleTree, nodesOfRange, hashOfRange, type NodeRef } from './tree.js';
export type {
  AccessLogStore,
  AccessLogDb,
  SigningKey,
  SigningKeyStore,
  StaffDirectory,
  StoredCheckpoint,
  StoredEntry,
  StoredHead,
  VerificationRun,
} from './ports.js';
