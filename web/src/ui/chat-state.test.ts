import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRoomSettings } from '../../../src/modules/chat/contract.ts';
import {
  EMPTY_CHAT,
  MAX_CHAT_MESSAGES,
  applyChatFrame,
  isChatError,
  isChatFrame,
  withChatError,
  withPendingSend,
  withoutChatError,
  type ChatState,
} from './chat-state.ts';

const SETTINGS: ChatRoomSettings = { slowModeSeconds: 0, maxLength: 200 };

function message(id: string, at: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id,
    sessionId: 'demo',
    author: { kind: 'viewer', nickname: `观众${id}` },
    text: `text ${id}`,
    at,
    aiGenerated: false,
    label: null,
    pinned: false,
    ...extra,
  };
}

function withHistory(messages: ChatMessage[], pinned: ChatMessage | null = null): ChatState {
  return applyChatFrame(EMPTY_CHAT, { type: 'chat_history', messages, pinned, settings: SETTINGS });
}

const ids = (state: ChatState): string[] => state.messages.map((m) => m.id);

describe('applyChatFrame', () => {
  it('history replaces everything, in time order, keeping the newest 200, and forgets sends in flight', () => {
    const many = Array.from({ length: 250 }, (_, i) => message(`m${i}`, 1000 + i)).reverse();
    const before = withPendingSend(withHistory([message('old', 1)]), 'send-0001');
    const state = applyChatFrame(before, { type: 'chat_history', messages: many, pinned: null, settings: { slowModeSeconds: 10, maxLength: 80 } });
    expect(state.messages).toHaveLength(MAX_CHAT_MESSAGES);
    expect(state.messages[0]!.id).toBe('m50');
    expect(state.messages.at(-1)!.id).toBe('m249');
    expect(state.settings).toEqual({ slowModeSeconds: 10, maxLength: 80 });
    expect(state.pending).toEqual([]);
    expect(state.version).toBe(before.version + 1);
  });

  it('adds a message once; a repeat replaces it; the list never passes 200', () => {
    let state = withHistory([message('a', 1)]);
    state = applyChatFrame(state, { type: 'chat_message', message: message('b', 2) });
    state = applyChatFrame(state, { type: 'chat_message', message: message('b', 2, { text: 'edited' }) });
    expect(ids(state)).toEqual(['a', 'b']);
    expect(state.messages[1]!.text).toBe('edited');

    for (let i = 0; i < 300; i++) state = applyChatFrame(state, { type: 'chat_message', message: message(`n${i}`, 10 + i) });
    expect(state.messages).toHaveLength(MAX_CHAT_MESSAGES);
    expect(state.messages.at(-1)!.id).toBe('n299');
  });

  it('folds a batch of messages one by one, repeats replaced, in time order', () => {
    let state = withHistory([message('a', 1), message('c', 5)]);
    state = applyChatFrame(state, { type: 'chat_messages', messages: [message('d', 6), message('b', 3), message('a', 1, { text: 'again' })] });
    expect(ids(state)).toEqual(['a', 'b', 'c', 'd']);
    expect(state.messages[0]!.text).toBe('again');
  });

  it('removes messages and a removed pin; restores a hidden one in time order', () => {
    const pinned = message('b', 2, { pinned: true });
    let state = withHistory([message('a', 1), pinned, message('c', 3)], pinned);
    state = applyChatFrame(state, { type: 'chat_removed', ids: ['b', 'zzz'], reason: 'hidden' });
    expect(ids(state)).toEqual(['a', 'c']);
    expect(state.pinned).toBeNull();
    state = applyChatFrame(state, { type: 'chat_restored', message: message('b', 2) });
    expect(ids(state)).toEqual(['a', 'b', 'c']);
  });

  it('moves the pin and the messages’ pinned flags with it', () => {
    let state = withHistory([message('a', 1, { pinned: true }), message('b', 2)], message('a', 1, { pinned: true }));
    state = applyChatFrame(state, { type: 'chat_pinned', message: message('b', 2, { pinned: true }) });
    expect(state.pinned?.id).toBe('b');
    expect(state.messages.map((m) => m.pinned)).toEqual([false, true]);
    state = applyChatFrame(state, { type: 'chat_pinned', message: null });
    expect(state.pinned).toBeNull();
    expect(state.messages.map((m) => m.pinned)).toEqual([false, false]);
  });

  it('takes new settings', () => {
    const state = applyChatFrame(withHistory([]), { type: 'chat_settings', settings: { slowModeSeconds: 30, maxLength: 120 } });
    expect(state.settings).toEqual({ slowModeSeconds: 30, maxLength: 120 });
  });

  it('an ack answers its send and clears that send’s refusal', () => {
    let state = withPendingSend(withHistory([]), 'send-0001');
    state = withPendingSend(state, 'send-0002');
    state = applyChatFrame(state, { type: 'chat_ack', clientEventId: 'send-0001', messageId: 'm1' });
    expect(state.pending).toEqual(['send-0002']);
    expect(state.lastAck).toEqual({ clientEventId: 'send-0001', messageId: 'm1' });
    expect(state.own).toEqual(['m1']);
  });

  it('ignores a frame type it does not know', () => {
    const state = withHistory([message('a', 1)]);
    expect(applyChatFrame(state, { type: 'chat_future' } as unknown as Parameters<typeof applyChatFrame>[1])).toBe(state);
  });
});

describe('chat errors', () => {
  it('is a chat error when its id is a pending send, or it has no id and a chat code', () => {
    const state = withPendingSend(withHistory([]), 'send-0001');
    expect(isChatError(state, { type: 'error', code: 'VALIDATION_FAILED', detail: 'x', clientEventId: 'send-0001' })).toBe(true);
    expect(isChatError(state, { type: 'error', code: 'PRODUCT_SOLD_OUT', detail: 'x', clientEventId: 'like-0001' })).toBe(false);
    expect(isChatError(state, { type: 'error', code: 'CHAT_RATE_LIMITED', detail: 'x' })).toBe(true);
    expect(isChatError(state, { type: 'error', code: 'VALIDATION_FAILED', detail: 'x' })).toBe(false);
  });

  it('records the refusal, answers the send, and a new send clears it', () => {
    let state = withPendingSend(withHistory([]), 'send-0001');
    state = withChatError(state, { type: 'error', code: 'CHAT_LINK_NOT_ALLOWED', detail: 'no links', clientEventId: 'send-0001' });
    expect(state.pending).toEqual([]);
    expect(state.error).toEqual({ code: 'CHAT_LINK_NOT_ALLOWED', detail: 'no links', clientEventId: 'send-0001' });
    expect(withPendingSend(state, 'send-0002').error).toBeNull();
    expect(withoutChatError(state).error).toBeNull();
  });
});

describe('isChatFrame', () => {
  it('tells chat frames from the room’s', () => {
    expect(isChatFrame({ type: 'chat_ack', clientEventId: 'x', messageId: 'y' })).toBe(true);
    expect(isChatFrame({ type: 'pong', serverTime: 1 })).toBe(false);
  });
});
