/**
 * A decision log steered by city tier, for fairness audits in tests: tier-1 viewers' lists hold the
 * brand's dearest products, the other tiers' the cheapest (so an audit flags the price gap), one
 * click in five, the first `smallGroup` rows from iOS devices (a device group too small to judge).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/index.js';

export const TIERS = ['tier1', 'tier2', 'tier3_plus'] as const;

export async function seedTierSteeredLog(
  db: Kysely<Database>,
  options: { brandId: string; sessionId: string; at: number; idPrefix: string; lists: number; perList: number; smallGroup: number },
): Promise<number> {
  const products = await db
    .selectFrom('products')
    .select(['id', 'category', 'price_fen', 'list_price_fen'])
    .where('brand_id', '=', options.brandId)
    .orderBy('price_fen')
    .orderBy('id')
    .execute();
  if (products.length < options.perList + 3) throw new Error(`the brand has ${products.length} products; a steered log needs ${options.perList + 3}`);
  const rows = [];
  let k = 0;
  for (const tier of TIERS) {
    for (let list = 0; list < options.lists; list++) {
      for (let position = 1; position <= options.perList; position++) {
        const index = (list % 3) + position - 1;
        const p = tier === 'tier1' ? products[products.length - 1 - index]! : products[index]!;
        k++;
        rows.push({
          id: `${options.idPrefix}-${String(k).padStart(6, '0')}`,
          session_id: options.sessionId,
          product_id: p.id,
          position,
          propensity: 1,
          explored: 0,
          personalised: 1,
          model_version: 'test',
          context: '{}',
          region: 'cn',
          created_at: options.at,
          clicked: k % 5 === 0 ? 1 : 0,
          carted: 0,
          purchased: 0,
          feedback: null,
          experiment_id: null,
          arm: null,
          price_fen: p.price_fen,
          list_price_fen: p.list_price_fen,
          category: p.category,
          seg_child_age: null,
          seg_city_tier: tier,
          seg_device: k <= options.smallGroup ? 'ios' : 'android',
          seg_visitor: null,
        });
      }
    }
  }
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('recommendation_decisions').values(rows.slice(i, i + 200)).execute();
  return rows.length;
}
