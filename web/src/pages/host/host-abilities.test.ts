import { describe, expect, it } from 'vitest';
import { hostAbilities, isShowReadOnly } from './host-abilities.ts';

describe('hostAbilities', () => {
  it.each(['admin', 'host'] as const)('gives %s every control of the console', (role) => {
    const abilities = hostAbilities(role);
    expect(abilities).toEqual({
      runShow: true,
      editShowcase: true,
      flashSales: true,
      moderateChat: true,
      recommendationHealth: true,
      runFairnessCheck: true,
      energy: true,
    });
    expect(isShowReadOnly(abilities)).toBe(false);
  });

  it('gives a moderator the chat and the counters, none of the routes the server refuses them', () => {
    const abilities = hostAbilities('moderator');
    expect(abilities).toEqual({
      runShow: false, // POST /start, /end: 403 for a moderator
      editShowcase: false, // pins, sold-out: 403
      flashSales: false, // start, end early: 403
      moderateChat: true,
      recommendationHealth: false, // GET /recommendations/health: 403 (an administrator or the session's host only)
      runFairnessCheck: false, // POST /fairness/audits: 403
      energy: false, // GET /sessions/:id/energy: 403
    });
    expect(isShowReadOnly(abilities)).toBe(true);
  });

  it('gives a compliance officer no show controls and no chat moderation', () => {
    const abilities = hostAbilities('compliance');
    expect(abilities.runShow || abilities.editShowcase || abilities.flashSales || abilities.moderateChat || abilities.recommendationHealth).toBe(false);
    expect(isShowReadOnly(abilities)).toBe(true);
  });

  it('gives a host of another session nothing to do here (the server refuses them every action, the chat too)', () => {
    const abilities = hostAbilities('host', false);
    expect(Object.values(abilities).every((can) => can === false)).toBe(true);
    expect(isShowReadOnly(abilities)).toBe(true);
    // Whether they host it matters to hosts only.
    expect(hostAbilities('admin', false)).toEqual(hostAbilities('admin'));
    expect(hostAbilities('moderator', false)).toEqual(hostAbilities('moderator'));
  });
});
