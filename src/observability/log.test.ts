import { describe, expect, it } from 'vitest';
import { safeError } from './log.js';

describe('safeError', () => {
  it('keeps what diagnoses a fault and drops the fields drivers fill with values', () => {
    const err = Object.assign(new Error('duplicate key value violates unique constraint "staff_users_name_key"'), {
      code: '23505',
      detail: 'Key (name)=(zhang.wei) already exists.',
      parameters: ['zhang.wei', 'secret-hash'],
    });
    const logged = safeError(err);
    expect(logged).toMatchObject({ type: 'Error', code: '23505' });
    expect(JSON.stringify(logged)).not.toContain('zhang.wei');
    expect(JSON.stringify(logged)).not.toContain('secret-hash');
    expect(safeError('a string thrown')).toEqual({ type: 'string' });
  });
});
