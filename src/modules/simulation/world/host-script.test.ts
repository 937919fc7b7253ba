import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ProductView } from './behaviour.js';
import { flashPriceFen, hostTimeline, rankedByPrice } from './host-script.js';
import { BUILTIN_SCENARIOS, ScenarioError, builtinScenarioPath, readScenarioFile, type Scenario } from './scenario.js';

function product(id: string, category: string, priceFen: number): ProductView {
  return { id, category, priceFen, listPriceFen: priceFen, ageMinMonths: 0, ageMaxMonths: 72, soldOut: false, pinned: false, flashSale: false };
}

const room: ProductView[] = [
  product('s-mid', 'stroller', 129900),
  product('s-top', 'stroller', 249900),
  product('s-low', 'stroller', 69900),
  product('w-b', 'wipes', 2990),
  product('w-a', 'wipes', 2990),
  product('d-1', 'diapers', 8900),
];

const script = (steps: Scenario['host']['script']): Pick<Scenario, 'host'> => ({ host: { script: steps } });

describe('hostTimeline', () => {
  it('resolves category and price rank (negative from the dearest) and sorts by minute', () => {
    const steps = hostTimeline(
      script([
        { atMinute: 20, action: 'unpin', product: { category: 'stroller', rank: -1 } },
        { atMinute: 5, action: 'pin', product: { category: 'stroller', rank: -1 } },
        { atMinute: 5, action: 'sold_out', product: { category: 'stroller', rank: 1 } },
        { atMinute: 10, action: 'flash_sale', product: { category: 'stroller', rank: 2 }, flashSale: { discountPercent: 15, quantity: 20, durationMinutes: 5 } },
        { atMinute: 1, action: 'pin', product: { category: 'wipes', rank: 1 } },
      ]),
      room,
    );
    expect(steps.map((s) => [s.atMinute, s.action, s.productId, s.index])).toEqual([
      [1, 'pin', 'w-a', 4], // equal prices: by id
      [5, 'pin', 's-top', 1], // same minute: script order
      [5, 'sold_out', 's-low', 2],
      [10, 'flash_sale', 's-mid', 3],
      [20, 'unpin', 's-top', 0],
    ]);
    // 129900 × 0.85 = 110415 → rounded down to 10 fen.
    expect(steps[3]!.flashSale).toEqual({ priceFen: 110410, quantity: 20, durationMinutes: 5 });
    expect(steps[0]!.flashSale).toBeUndefined();
  });

  it('reports every unresolvable step with its index instead of dropping it', () => {
    const run = () =>
      hostTimeline(
        script([
          { atMinute: 1, action: 'pin', product: { category: 'diapers', rank: 1 } },
          { atMinute: 2, action: 'pin', product: { category: 'diapers', rank: 2 } },
          { atMinute: 3, action: 'pin', product: { category: 'toys', rank: -1 } },
        ]),
        room,
      );
    expect(run).toThrow(ScenarioError);
    try {
      run();
    } catch (e) {
      const error = e as ScenarioError;
      expect(error.path).toBe('/host/script/1/product');
      expect(error.problems.map((p) => p.path)).toEqual(['/host/script/1/product', '/host/script/2/product']);
      expect(error.message).toMatch(/rank 2 \(the room has 1 of that category\)/);
      expect(error.message).toMatch(/no on-stage toys product/);
    }
  });

  it('resolves every shipped script against the demo catalogue', () => {
    const file = new URL('../../catalogue/seed/demo-catalogue.json', import.meta.url);
    const data = JSON.parse(readFileSync(file, 'utf8')) as { products: { sku: string; category: string; price: string }[] };
    const demo = data.products.map((p) => product(p.sku, p.category, Math.round(Number(p.price) * 100)));
    for (const name of BUILTIN_SCENARIOS) {
      const s = readScenarioFile(builtinScenarioPath(name));
      const steps = hostTimeline(s, demo);
      expect(steps).toHaveLength(s.host.script.length);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.atMinute).toBeGreaterThanOrEqual(steps[i - 1]!.atMinute);
      for (const step of steps.filter((x) => x.action === 'flash_sale')) {
        expect(step.flashSale!.priceFen % 10).toBe(0);
        expect(step.flashSale!.priceFen).toBeLessThan(demo.find((p) => p.id === step.productId)!.priceFen);
      }
    }
  });
});

describe('flashPriceFen and rankedByPrice', () => {
  it('rounds the flash price down to 10 fen and keeps it between 10 fen and the price', () => {
    expect(flashPriceFen(2990, 30)).toBe(2090);
    expect(flashPriceFen(12900, 20)).toBe(10320);
    expect(flashPriceFen(19, 50)).toBe(10);
    expect(flashPriceFen(5, 50)).toBe(5);
  });

  it('ranks by price then id', () => {
    expect(rankedByPrice(room, 'wipes').map((p) => p.id)).toEqual(['w-a', 'w-b']);
    expect(rankedByPrice(room, 'toys')).toEqual([]);
  });
});
