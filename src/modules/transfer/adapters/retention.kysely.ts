import type { Kysely } from 'kysely';
import type { Database } from '../../../storage/index.js';
import { chinaYearOf } from '../thresholds.js';

/**
 * Retention of the transfer records: the transfer log and separate-consent records older than the
 * cutoff, and the per-individual counter rows, totals and alerts of years that ended before it.
 * Destinations, bases and their change history are kept while the recipient is registered.
 */
export async function purgeTransferRecordsBefore(db: Kysely<Database>, cutoff: number): Promise<number> {
  const year = chinaYearOf(cutoff);
  return db.transaction().execute(async (tx) => {
    let n = 0;
    n += Number((await tx.deleteFrom('transfer_log').where('created_at', '<', cutoff).executeTakeFirst()).numDeletedRows);
    n += Number((await tx.deleteFrom('transfer_consents').where('created_at', '<', cutoff).executeTakeFirst()).numDeletedRows);
    n += Number((await tx.deleteFrom('transfer_individuals').where('year', '<', year).executeTakeFirst()).numDeletedRows);
    n += Number((await tx.deleteFrom('transfer_year_totals').where('year', '<', year).executeTakeFirst()).numDeletedRows);
    n += Number((await tx.deleteFrom('transfer_alerts').where('year', '<', year).executeTakeFirst()).numDeletedRows);
    return n;
  });
}
