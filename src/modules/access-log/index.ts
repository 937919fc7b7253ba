/**
 * Access log: a tamper-evident (RFC 6962 Merkle tree) record of every staff read, export, deletion
 * or correction of personal data, with Ed25519-signed checkpoints and a verifier.
 */
export { AccessLogService, type RecordedAccess, type VerifyOptions } from './service.js';
export { KyselyAccessLogStore } from './adapters/access-log.kysely.js';
export { FileSigningKeyStore, accessLogKeyFile, ACCESS_LOG_KEY_FILE } from './adapters/signing-key.file.js';
export { MemorySigningKeyStore } from './adapters/signing-key.memory.js';
export { LogVerifier, describeProblem, type Problem, type ProblemKind, type VerifyReport } from './verify.js';
export { ACCESS_ACTIONS, encodeEntry, decodeEntry, type AccessAction, type AccessEntry, type AccessRecord, type AccessActor } from './entry.js';
export { checkpointText, CHECKPOINT_ORIGIN } from './signing.js';
export { leafHash, nodeHash, rootOf, verifyInclusion, verifyConsistency, inclusionProof, consistencyProof, EMPTY_ROOT } from './merkle.js';
export { Frontier, MerkleTree } from './tree.js';
export type { AccessLogStore, AccessLogDb, SigningKey, SigningKeyStore, StoredCheckpoint, StoredEntry, StoredHead } from './ports.js';
