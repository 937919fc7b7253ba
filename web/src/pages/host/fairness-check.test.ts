import { describe, expect, it } from 'vitest';
import { checkOutcome } from './fairness-check.ts';

const segment = (status: 'ok' | 'one_group' | 'too_few' | 'not_recorded') => ({ status }) as never;
const flag = { kind: 'segment' } as never;

describe('checkOutcome', () => {
  it('says "no gap" only when viewer groups were compared', () => {
    expect(checkOutcome({ flags: [], segments: [segment('too_few'), segment('ok')] })).toBe('none');
    expect(checkOutcome({ flags: [], segments: [segment('too_few'), segment('too_few'), segment('not_recorded')] })).toBe('tooFew');
    expect(checkOutcome({ flags: [], segments: [] })).toBe('tooFew');
  });

  it('reports flags whatever the groups', () => {
    expect(checkOutcome({ flags: [flag], segments: [segment('too_few')] })).toBe('flagged');
  });
});
