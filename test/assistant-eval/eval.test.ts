/**
 * The shopping assistant against the evaluation set (questions.json), scored as in README.md by the
 * same code as `npm run eval:assistant` (scripts/assistant-eval-lib.ts): CI fails when accuracy,
 * refusal correctness or the no-invented-price rule regresses. Also checks the scoring rules
 * themselves, and that the scores do not depend on the product ids the import happens to assign.
 */
import { describe, expect, it } from 'vitest';
import type { GroundedAnswer } from '../../src/modules/assistant/index.js';
import { TARGETS, containsFact, demoEvalCatalogue, evaluateDemo, inventedAmounts, missedTargets, moneyAmountsFen, normaliseForMatch, pct } from '../../scripts/assistant-eval-lib.js';

describe('scoring rules (README.md)', () => {
  it('normalises: NFKC, lower case, no spaces, one dash, plain amounts', () => {
    expect(normaliseForMatch('Ａ  b–c—d～e')).toBe('ab-c-d-e');
    expect(normaliseForMatch('¥1,299.00')).toBe('¥1299');
    expect(normaliseForMatch('39.90')).toBe('39.9');
  });

  it('matches "1,299" and "¥1299.00" to 1299, and a bare number only as a whole number', () => {
    expect(containsFact('现价 ¥1,299', '1299')).toBe(true);
    expect(containsFact('price ¥1299.00', '1299')).toBe(true);
    expect(containsFact('¥39.90', '39.9')).toBe(true);
    expect(containsFact('98 片', '9')).toBe(false);
    expect(containsFact('9.6 kg', '9')).toBe(false);
    expect(containsFact('1.0 TOG', '1.0 TOG')).toBe(true);
    expect(containsFact('58 × 48 × 25 厘米', '58 × 48 × 25')).toBe(true);
    expect(containsFact('约 5–8 天', '5-8')).toBe(true);
  });

  it('finds amounts by their marks and flags those no named product has', () => {
    expect(moneyAmountsFen('现价 ¥1299，划线价 ¥1,599.00；另 20 元运费、3 块、RMB 5 和 12 件')).toEqual([129_900, 159_900, 2_000, 300, 500]);
    const ev = demoEvalCatalogue({ kind: 'hashed', salt: 'rules' });
    const stroller = ev.idBySku.get('QL-STR-001') ?? '';
    const reply = (answer: string, productIds: string[]): GroundedAnswer => ({ outcome: 'answered', answer, productIds, sources: [], intents: [], confidence: 1 });
    expect(inventedAmounts(reply('现价 ¥1299，划线价 ¥1599', [stroller]), ev.productById)).toEqual([]);
    expect(inventedAmounts(reply('才 ¥1000', [stroller]), ev.productById)).toEqual([100_000]);
    // An amount counts only for a product the reply names.
    expect(inventedAmounts(reply('¥1299', []), ev.productById)).toEqual([129_900]);
  });
});

describe('the assistant on the evaluation set', () => {
  const report = evaluateDemo({ kind: 'hashed', salt: 'ci' });

  it('meets the targets: accuracy ≥ 90 %, refusal correctness ≥ 95 %, no invented price', () => {
    const { overall } = report.groups;
    const failures = report.failures.map((f) => `${f.id} ${f.question}: ${[...f.problems, ...f.invented.map((x) => `invented ${x / 100}`)].join('; ')}`);
    console.log(
      `[assistant eval] accuracy ${pct(overall.accuracy)} (zh ${pct(report.groups['zh-CN'].accuracy)}, en ${pct(report.groups.en.accuracy)}); ` +
        `refusal ${pct(overall.refusal)}; invented prices ${overall.inventedPrices}; failures: ${failures.length}`,
    );
    expect(missedTargets(report), failures.join('\n')).toEqual([]);
    expect(overall.accuracy).toBeGreaterThanOrEqual(TARGETS.accuracy);
    expect(overall.refusal).toBeGreaterThanOrEqual(TARGETS.refusal);
    expect(overall.inventedPrices).toBe(0);
  });

  it('meets the accuracy target in each language', () => {
    for (const locale of ['zh-CN', 'en'] as const) expect(report.groups[locale].accuracy, locale).toBeGreaterThanOrEqual(TARGETS.accuracy);
  });

  it('scores the same whatever ids the import assigns', () => {
    const other = evaluateDemo({ kind: 'hashed', salt: 'another database' });
    expect(other.results.map((r) => [r.id, r.correct])).toEqual(report.results.map((r) => [r.id, r.correct]));
  });
});
