/** The reasons the list itself adds to a card (a pick for variety, a fair-exposure move) read like the model's. */
import { describe, expect, it } from 'vitest';
import { DIVERSITY_REASON, RERANK_REASON, movedReasons } from './service.js';

describe("the list's own reasons", () => {
  const reasons = [DIVERSITY_REASON, RERANK_REASON];

  it('start with a capital letter in English: each stands as an item of its own', () => {
    for (const r of reasons) expect(r.en).toMatch(/^\p{Lu}/u);
  });

  it('address the viewer as 您 in Chinese', () => {
    for (const r of reasons) expect(r.zh).not.toContain('你');
  });

  it('a card the re-ranker moved up still gives at most three reasons, the move among them', () => {
    const three = { zh: ['主持人正在讲解', '本场热卖', '限时抢购中'], en: ['Presenting now', 'Popular in this room', 'On flash sale now'] };
    const moved = movedReasons(three);
    expect(moved.en).toEqual(['Presenting now', 'Popular in this room', RERANK_REASON.en]);
    expect(moved.zh).toEqual(['主持人正在讲解', '本场热卖', RERANK_REASON.zh]);
    // With room to spare, nothing is dropped; the input is not changed.
    expect(movedReasons({ zh: ['本场热卖'], en: ['Popular in this room'] }).en).toEqual(['Popular in this room', RERANK_REASON.en]);
    expect(three.en).toHaveLength(3);
  });
});
