/**
 * Experiment units as a source of the viewer's personal data, in the shape the privacy workflow's
 * export and erasure take. A unit is pseudonymous (a keyed hash of the viewer's pseudonym): the
 * export shows the viewer their own rows, and erasure deletes them inside its transaction (the
 * per-arm totals and stored analyses carry no viewer and stay).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../storage/index.js';
import { KyselyExperimentStore } from './adapters/experiments.kysely.js';
import { unitOf } from './assignment.js';

/** Units are kept this long after their experiment ends (so its result can be checked), then purged. */
export const EXPERIMENT_UNITS_KEEP_DAYS = 90;

export function experimentsDataSource(service: { unitsOfSubject(subject: string): Promise<readonly unknown[]> }) {
  return {
    category: 'experiment_units',
    label: { zh: '推荐对比实验', en: 'Recommendation experiments' },
    describe: {
      zh: '您参与的推荐对比实验（A/B 实验）：您被分到的组别，以及您在实验期间的浏览、点击、加购、下单次数。',
      en: 'The recommendation experiments (A/B tests) you took part in: the arm you were assigned to, and your views, clicks, add-to-carts and orders during each.',
    },
    exportFor: (subject: string) => service.unitsOfSubject(subject),
    eraseIn: async (tx: Kysely<Database>, subject: string) => {
      const store = new KyselyExperimentStore(tx);
      const experiments = await store.list({});
      return store.deleteUnits(experiments.map((e) => ({ experimentId: e.id, unit: unitOf(e.assignmentSalt, subject) })));
    },
  } as const;
}
