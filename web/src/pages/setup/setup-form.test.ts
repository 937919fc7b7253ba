import { describe, expect, it } from 'vitest';
import { validateSetup } from './setup-form.ts';

describe('validateSetup', () => {
  const good = { token: 'tok', name: 'admin', password: 'twelve chars', confirm: 'twelve chars' };

  it('accepts a complete form', () => {
    expect(validateSetup(good)).toEqual({});
  });

  it('needs a token, a name, 12 characters and a matching confirmation', () => {
    expect(Object.keys(validateSetup({ ...good, token: ' ' }))).toEqual(['token']);
    expect(Object.keys(validateSetup({ ...good, name: '' }))).toEqual(['name']);
    expect(Object.keys(validateSetup({ ...good, password: 'short', confirm: 'short' }))).toEqual(['password']);
    expect(Object.keys(validateSetup({ ...good, confirm: 'twelve charz' }))).toEqual(['confirm']);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(Object.keys(validateSetup({ ...good, password: '密码密码密码密码密码密码', confirm: '密码密码密码密码密码密码' }))).toEqual([]);
    expect(Object.keys(validateSetup({ ...good, password: '😀😀😀😀😀😀', confirm: '😀😀😀😀😀😀' }))).toEqual(['password']);
  });
});
