import type { FastifyInstance } from 'fastify';
import { DATA_MAP, keptNote } from './data-map.js';

/** The data map and retention schedule for compliance officers: descriptions only, no personal data. */
export function dataMapRoutes(m: { region: string; retentionSchedule: () => readonly { category: string; keepDays: number; basis: string }[]; staffSessionHours: number }) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/compliance/data-map',
      {
        config: { access: ['compliance', 'admin'] },
        schema: { tags: ['compliance'], summary: 'What is stored, where, whether personal, protected how, kept how long (with the retention schedule)' },
      },
      async () => {
        const schedule = m.retentionSchedule();
        const byCategory = new Map(schedule.map((c) => [c.category, c]));
        const facts = { staffSessionHours: m.staffSessionHours, keepDays: (category: string) => byCategory.get(category)?.keepDays };
        return {
          region: m.region,
          entries: DATA_MAP.map((d) => ({
            category: d.category,
            tables: d.tables,
            personal: d.personal,
            protection: d.protection,
            what: d.what,
            kept: 'retentionCategory' in d.kept ? { retention: byCategory.get(d.kept.retentionCategory) ?? { category: d.kept.retentionCategory } } : { note: keptNote(d.kept, facts) },
          })),
          schedule,
        };
      },
    );
  };
}
