/**
 * Cross-border transfer (PIPL 38–39; 2024 CAC provisions): the recipient registry and transfer
 * bases, separate consent per viewer and recipient, the outbound gateway that fails closed (L1),
 * and the yearly count of individuals with its threshold alerts (L2). The gateway is the only code
 * allowed to send data over the network (an ESLint rule enforces it).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/index.js';
import { FetchCourier } from './adapters/courier.fetch.js';
import { KyselyDestinationRegistry } from './adapters/destination-registry.kysely.js';
import { KyselyExportLedger } from './adapters/export-ledger.kysely.js';
import { KyselyTransferConsentLedger } from './adapters/transfer-consent-ledger.kysely.js';
import type { Courier } from './ports.js';
import { TransferService, type TransferDeps } from './service.js';

export {
  TransferService,
  TRANSFER_DEFAULTS,
  REFUSAL_REASONS,
  basisStatus,
  type AlertLog,
  type BasisInput,
  type BasisStatus,
  type Delivered,
  type DestinationInput,
  type DestinationView,
  type PublicDestination,
  type RefusalReason,
  type TransferConsentDecision,
  type TransferConsentReceipt,
  type TransferDeps,
  type TransferOptions,
  type TransferRequest,
  type YearCounter,
} from './service.js';
export { transferRoutes } from './routes.js';
export { TRANSFER_NOTICE_VERSION, transferNoticeFor, type TransferNotice } from './notice.js';
export { THRESHOLDS, WARNING_RATIO, chinaYearOf, chinaYearRange, thresholdStatus, type CountKind, type Threshold, type ThresholdId, type ThresholdStatus } from './thresholds.js';
export { KyselyDestinationRegistry, KyselyExportLedger, KyselyTransferConsentLedger, FetchCourier };
export { purgeTransferRecordsBefore } from './adapters/retention.kysely.js';
export * from './ports.js';

/** The service on one database, sending with Node's fetch unless another courier is given. */
export function transferServiceOn(
  db: Kysely<Database>,
  deps: Omit<TransferDeps, 'registry' | 'consents' | 'ledger' | 'courier'> & { courier?: Courier },
): TransferService {
  return new TransferService({
    ...deps,
    registry: new KyselyDestinationRegistry(db),
    consents: new KyselyTransferConsentLedger(db),
    ledger: new KyselyExportLedger(db),
    courier: deps.courier ?? new FetchCourier(),
  });
}
