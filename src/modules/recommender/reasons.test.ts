/** The reasons the list itself adds to a card (a pick for variety, a fair-exposure move) read like the model's. */
import { describe, expect, it } from 'vitest';
import { DIVERSITY_REASON, RERANK_REASON } from './service.js';

describe("the list's own reasons", () => {
  const reasons = [DIVERSITY_REASON, RERANK_REASON];

  it('start with a capital letter in English: each stands as an item of its own', () => {
    for (const r of reasons) expect(r.en).toMatch(/^\p{Lu}/u);
  });

  it('address the viewer as 您 in Chinese', () => {
    for (const r of reasons) expect(r.zh).not.toContain('你');
  });
});
