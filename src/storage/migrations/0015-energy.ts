import type { Kysely } from 'kysely';

/**
 * Energy samples: what one node's process used over one period (CPU time per metered component,
 * the process's CPU and wall time, the vCPUs it holds, the memory it held, RAPL package energy when
 * readable) and the units of work done. Raw inputs only: energy and carbon are computed from them
 * at report time, so a report can be recomputed and a changed coefficient applies to the record.
 * Nothing here concerns a viewer. A live session's share of each sample is kept beside it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let t = db.schema
    .createTable('energy_samples')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint', (c) => c.notNull())
    .addColumn('wall_ms', 'bigint', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('process_cpu_us', 'bigint', (c) => c.notNull())
    .addColumn('other_us', 'bigint', (c) => c.notNull())
    .addColumn('span_scale', 'double precision', (c) => c.notNull())
    .addColumn('memory_gb_hours', 'double precision', (c) => c.notNull())
    // Qingliu's share of the RAPL package energy over the period, joules; null when not readable.
    .addColumn('rapl_joules', 'double precision')
    .addColumn('rapl_note', 'text');
  for (const component of ['recommend', 'learn', 'audits', 'assistant', 'serving', 'storage']) {
    t = t.addColumn(`${component}_us`, 'bigint', (c) => c.notNull()).addColumn(`${component}_n`, 'integer', (c) => c.notNull());
  }
  await t.execute();
  await db.schema.createIndex('energy_samples_time').on('energy_samples').column('started_at').execute();

  await db.schema
    .createTable('energy_session_samples')
    .addColumn('sample_id', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    // The session's metered work in the sample, and all metered work in it (its share is the ratio).
    .addColumn('span_us', 'bigint', (c) => c.notNull())
    .addColumn('sample_span_us', 'bigint', (c) => c.notNull())
    .addColumn('recommendations', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('energy_session_samples_pk', ['sample_id', 'session_id'])
    .execute();
  await db.schema.createIndex('energy_session_samples_session').on('energy_session_samples').columns(['session_id', 'started_at']).execute();
  await db.schema.createIndex('energy_session_samples_time').on('energy_session_samples').column('started_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('energy_session_samples').execute();
  await db.schema.dropTable('energy_samples').execute();
}
