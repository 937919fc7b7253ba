/**
 * Folds the room socket's chat frames into the page's copy of the chat. Pure, so the rules are
 * tested without a socket: `chat_history` (sent right after each snapshot) replaces everything; a
 * message is added once (a repeat replaces it) and the list keeps the newest 200; removed messages
 * leave the list and the pin; a restored one goes back in time order; the pin is one message or none.
 * A busy room's messages come batched (`chat_messages`) and are folded one by one.
 *
 * A send is tracked by its clientEventId until the server answers with `chat_ack` or an `error`
 * frame carrying that id, so a refusal is shown beside the chat box rather than as a page toast.
 */
import type { ChatMessage, ChatRoomSettings, ChatServerFrame } from '../../../src/modules/chat/contract.ts';
import type { ErrorFrame, ServerMessage } from './contract.ts';

export const MAX_CHAT_MESSAGES = 200;
/** Sends awaiting an answer kept at most (older ones are forgotten: their answer will not come). */
const MAX_PENDING = 20;

export interface ChatSendError {
  code: string;
  detail: string;
  clientEventId: string | null;
}

export interface ChatState {
  /** Oldest first, at most MAX_CHAT_MESSAGES. */
  messages: ChatMessage[];
  pinned: ChatMessage | null;
  /** null until the first `chat_history`. */
  settings: ChatRoomSettings | null;
  /** clientEventIds of sends not yet answered. */
  pending: string[];
  /** The last send the server accepted. */
  lastAck: { clientEventId: string; messageId: string } | null;
  /** The last send the server refused. */
  error: ChatSendError | null;
  /** Ids of this page's own messages (from the acks), so they can be marked as the viewer's. */
  own: string[];
  /** Raised by every chat frame, so views that refetch (the host's moderation) know when to. */
  version: number;
}

export const EMPTY_CHAT: ChatState = { messages: [], pinned: null, settings: null, pending: [], lastAck: null, error: null, own: [], version: 0 };

const CHAT_FRAME_TYPES: ReadonlySet<string> = new Set<ChatServerFrame['type']>([
  'chat_history',
  'chat_message',
  'chat_messages',
  'chat_removed',
  'chat_restored',
  'chat_pinned',
  'chat_settings',
  'chat_ack',
]);

export function isChatFrame(message: ServerMessage): message is ChatServerFrame {
  return CHAT_FRAME_TYPES.has(message.type);
}

export function applyChatFrame(state: ChatState, frame: ChatServerFrame): ChatState {
  // A frame type this page does not know yet (a newer server) changes nothing.
  const version = state.version + 1;
  switch (frame.type) {
    case 'chat_history':
      // A new connection: whatever was in flight on the old one is answered or lost.
      return {
        ...state,
        messages: newest(sortByTime(frame.messages)),
        pinned: frame.pinned,
        settings: frame.settings,
        pending: [],
        version,
      };
    case 'chat_message':
      return { ...state, messages: upsert(state.messages, frame.message), pinned: samePinned(state.pinned, frame.message), version };
    case 'chat_messages':
      return {
        ...state,
        messages: frame.messages.reduce(upsert, state.messages),
        pinned: frame.messages.reduce(samePinned, state.pinned),
        version,
      };
    case 'chat_restored':
      return { ...state, messages: upsert(state.messages, frame.message), pinned: samePinned(state.pinned, frame.message), version };
    case 'chat_removed': {
      const gone = new Set(frame.ids);
      return {
        ...state,
        messages: state.messages.filter((m) => !gone.has(m.id)),
        pinned: state.pinned && gone.has(state.pinned.id) ? null : state.pinned,
        version,
      };
    }
    case 'chat_pinned': {
      const pinnedId = frame.message?.id ?? null;
      return {
        ...state,
        pinned: frame.message,
        messages: state.messages.map((m) => (m.pinned === (m.id === pinnedId) ? m : { ...m, pinned: m.id === pinnedId })),
        version,
      };
    }
    case 'chat_settings':
      return { ...state, settings: frame.settings, version };
    case 'chat_ack':
      return {
        ...state,
        pending: state.pending.filter((id) => id !== frame.clientEventId),
        lastAck: { clientEventId: frame.clientEventId, messageId: frame.messageId },
        own: [...state.own, frame.messageId].slice(-MAX_CHAT_MESSAGES),
        error: state.error?.clientEventId === frame.clientEventId ? null : state.error,
        version,
      };
    default:
      return state;
  }
}

/** A refusal of a chat send: its id is one we sent, or (without an id) its code is a chat code. */
export function isChatError(state: ChatState, frame: ErrorFrame): boolean {
  if (frame.clientEventId !== undefined) return state.pending.includes(frame.clientEventId);
  return frame.code.startsWith('CHAT_');
}

export function withChatError(state: ChatState, frame: ErrorFrame): ChatState {
  const clientEventId = frame.clientEventId ?? null;
  return {
    ...state,
    pending: clientEventId === null ? state.pending : state.pending.filter((id) => id !== clientEventId),
    error: { code: frame.code, detail: frame.detail, clientEventId },
  };
}

/** A send went out: wait for its answer; the last refusal no longer applies. */
export function withPendingSend(state: ChatState, clientEventId: string): ChatState {
  return { ...state, pending: [...state.pending, clientEventId].slice(-MAX_PENDING), error: null };
}

export function withoutChatError(state: ChatState): ChatState {
  return state.error === null ? state : { ...state, error: null };
}

function sortByTime(messages: readonly ChatMessage[]): ChatMessage[] {
  return [...messages].sort(byTime);
}

function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.at - b.at;
}

function newest(messages: ChatMessage[]): ChatMessage[] {
  return messages.length > MAX_CHAT_MESSAGES ? messages.slice(-MAX_CHAT_MESSAGES) : messages;
}

/** Replaces the message with the same id, or puts it in time order (usually last). */
function upsert(messages: ChatMessage[], message: ChatMessage): ChatMessage[] {
  const index = messages.findIndex((m) => m.id === message.id);
  if (index !== -1) return messages.map((m, i) => (i === index ? message : m));
  let at = messages.length;
  while (at > 0 && messages[at - 1]!.at > message.at) at -= 1;
  return newest([...messages.slice(0, at), message, ...messages.slice(at)]);
}

/** A fresh copy of the pinned message (an edit or restore) replaces the pinned one. */
function samePinned(pinned: ChatMessage | null, message: ChatMessage): ChatMessage | null {
  return pinned && pinned.id === message.id ? message : pinned;
}
