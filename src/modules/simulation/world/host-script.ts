/**
 * The host's timeline: the scenario's script resolved against the room's on-stage products. A step
 * names its product by category and price rank (1 the cheapest, −1 the dearest), so one script works
 * with any catalogue; here each becomes a product id, and a flash sale gets its price.
 */
import type { ProductView } from './behaviour.js';
import { ScenarioError, type HostAction, type Scenario, type ScenarioProblem } from './scenario.js';

/** One resolved host action, for the driver to perform at `atMinute`. */
export interface HostStep {
  /** Position of the step in the scenario's script (for messages). */
  index: number;
  atMinute: number;
  action: HostAction;
  productId: string;
  /** Only for flash_sale: the flash price (fen, rounded down to 10 fen), units and length. */
  flashSale?: { priceFen: number; quantity: number; durationMinutes: number };
}

/**
 * The flash price: priceFen × (100 − discountPercent) / 100, rounded down to a multiple of 10 fen,
 * never below 10 fen nor above the current price.
 */
export function flashPriceFen(priceFen: number, discountPercent: number): number {
  const discounted = Math.floor((priceFen * (100 - discountPercent)) / 100 / 10) * 10;
  return Math.min(priceFen, Math.max(10, discounted));
}

/**
 * The on-stage products of a category in price order (cheapest first; ties by id), as ranks count them.
 */
export function rankedByPrice(products: readonly ProductView[], category: string): ProductView[] {
  return products
    .filter((p) => p.category === category)
    .sort((a, b) => a.priceFen - b.priceFen || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The script as HostSteps sorted by minute (steps at the same minute keep the script's order).
 * Ranks count among the given products of the category by their current price: 1 the cheapest,
 * −1 the dearest (call it once, with the products as the show starts, so a running flash sale does
 * not reorder them). A step whose product cannot be found is an error naming `/host/script/<i>/product`
 * (every such step is listed), never silently dropped.
 */
export function hostTimeline(scenario: Pick<Scenario, 'host'>, products: readonly ProductView[]): HostStep[] {
  const byCategory = new Map<string, ProductView[]>();
  const problems: ScenarioProblem[] = [];
  const steps: HostStep[] = [];
  scenario.host.script.forEach((spec, index) => {
    const { category, rank } = spec.product;
    let ranked = byCategory.get(category);
    if (ranked === undefined) {
      ranked = rankedByPrice(products, category);
      byCategory.set(category, ranked);
    }
    const product = rank > 0 ? ranked[rank - 1] : ranked[ranked.length + rank];
    if (product === undefined) {
      problems.push({
        path: `/host/script/${index}/product`,
        message: `no on-stage ${category} product at rank ${rank} (the room has ${ranked.length} of that category)`,
      });
      return;
    }
    const step: HostStep = { index, atMinute: spec.atMinute, action: spec.action, productId: product.id };
    if (spec.action === 'flash_sale' && spec.flashSale !== undefined) {
      step.flashSale = {
        priceFen: flashPriceFen(product.priceFen, spec.flashSale.discountPercent),
        quantity: spec.flashSale.quantity,
        durationMinutes: spec.flashSale.durationMinutes,
      };
    }
    steps.push(step);
  });
  if (problems.length > 0) throw new ScenarioError(problems, 'host script');
  return steps.sort((a, b) => a.atMinute - b.atMinute || a.index - b.index);
}
