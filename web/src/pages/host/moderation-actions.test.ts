import { describe, expect, it } from 'vitest';
import { messageActions } from './moderation-actions.ts';

const viewer = { kind: 'viewer' as const, nickname: '小鱼' };
const staff = { kind: 'staff' as const, nickname: '主播' };

describe('messageActions', () => {
  it('offers a visible viewer message everything', () => {
    expect(messageActions({ status: 'visible', shadow: false, author: viewer }, false)).toEqual(['pin', 'hide', 'delete', 'ban', 'shadow_ban']);
    expect(messageActions({ status: 'visible', shadow: false, author: viewer }, true)).toEqual(['unpin', 'hide', 'delete', 'ban', 'shadow_ban']);
  });

  it('offers unhide only to a hidden message, and nothing to a deleted one', () => {
    expect(messageActions({ status: 'hidden', shadow: false, author: viewer }, false)).toEqual(['unhide', 'delete', 'ban', 'shadow_ban']);
    expect(messageActions({ status: 'deleted', shadow: false, author: viewer }, false)).toEqual([]);
  });

  it('offers no ban for a message a ban removed, and no second shadow ban', () => {
    expect(messageActions({ status: 'banned', shadow: false, author: viewer }, false)).toEqual(['delete']);
    expect(messageActions({ status: 'visible', shadow: true, author: viewer }, false)).toEqual(['pin', 'hide', 'delete', 'ban']);
  });

  it('never offers to ban staff', () => {
    expect(messageActions({ status: 'visible', shadow: false, author: staff }, false)).toEqual(['pin', 'hide', 'delete']);
  });
});
