import { describe, expect, it } from 'vitest';
import { staffNames } from './directory.js';
import type { StaffUser } from './types.js';

const lin = { id: 'u-1', name: 'lin.wei', role: 'compliance' } as unknown as StaffUser;

describe('staff names for the consoles', () => {
  it('names an account, and answers null for an id no account has', async () => {
    const names = staffNames({ getUser: async (id) => (id === 'u-1' ? lin : undefined) }, () => undefined);
    expect(await names.nameOf('u-1')).toBe('lin.wei');
    expect(await names.nameOf('u-2')).toBeNull();
  });

  it('answers null when the lookup fails, and reports the failure (the named record is already committed)', async () => {
    const reported: unknown[] = [];
    const failure = new Error('connection reset');
    const names = staffNames(
      {
        getUser: async () => {
          throw failure;
        },
      },
      (err) => reported.push(err),
    );
    await expect(names.nameOf('u-1')).resolves.toBeNull();
    expect(reported).toEqual([failure]);
  });
});
