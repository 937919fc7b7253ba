/**
 * The page's live copy of a room: first painted from GET /sessions/:id, then kept current by the
 * room socket (snapshot, then seq'd changes and counters). Also tracks the server clock offset, and
 * the room's chat, whose frames share the socket (chat-state.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getRoomState, sendRoomEvent } from './api.ts';
import type { ChatSendFrame } from '../../../src/modules/chat/contract.ts';
import { applyChatFrame, EMPTY_CHAT, isChatError, isChatFrame, withChatError, withoutChatError, withPendingSend } from './chat-state.ts';
import { ChatStore } from './chat-store.ts';
import type { ClientMessage, FlashSaleView, RoomState, ServerMessage } from './contract.ts';
import { clockOffset } from './countdown.ts';
import { newClientId } from './ids.ts';
import { applyServerMessage } from './room-state.ts';
import { Resender } from './resend.ts';
import { RoomSocket, roomSocketUrl, type ConnectionStatus } from './room-socket.ts';

export interface RoomHandle {
  state: RoomState | null;
  /** Set when the first load failed and no snapshot has arrived. */
  loadError: ApiError | null;
  connection: ConnectionStatus;
  /** Server time minus local time, in ms. */
  offsetMs: number;
  /**
   * Sends over the socket; false when it is not open, or the server asked for a pause (use HTTP then,
   * which retries). A like or add-to-cart the server refused only for load is resent, same id, after the wait.
   */
  send: (message: ClientMessage) => boolean;
  /** Replaces the state with a server answer (the host's own REST results). */
  patch: (update: (state: RoomState) => RoomState) => void;
  /** Socket messages other than state (acks, errors) for the page to react to. */
  lastMessage: ServerMessage | null;
  /**
   * The flash sales the socket said had ended, each with its endReason, oldest first (the last
   * ENDED_FLASH_SALES_KEPT): the room state only drops them, so a page that announces why reads this.
   */
  endedFlashSales: FlashSaleView[];
  /** The latest recommendations pushed over the socket (their own slot: never lost behind an ack). */
  recommendations: unknown;
  /** The room's chat as the socket tells it; components that show it subscribe with `useChat`. */
  chat: ChatStore;
  /** Sends a chat message; its clientEventId, or null when the socket is not open. */
  sendChat: (message: Omit<ChatSendFrame, 'type' | 'clientEventId'>) => string | null;
  /** Forgets the last refused chat send (the viewer edited the text). */
  clearChatError: () => void;
}

export const ENDED_FLASH_SALES_KEPT = 20;

type RoomWrite = Extract<ClientMessage, { type: 'like' | 'add_to_cart' }>;
const isRoomWrite = (m: ClientMessage): m is RoomWrite => m.type === 'like' || m.type === 'add_to_cart';

export function useRoom(sessionId: string): RoomHandle {
  const [state, setState] = useState<RoomState | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [connection, setConnection] = useState<ConnectionStatus>('connecting');
  const [offsetMs, setOffsetMs] = useState(0);
  const [lastMessage, setLastMessage] = useState<ServerMessage | null>(null);
  const [recommendations, setRecommendations] = useState<unknown>(null);
  const [endedFlashSales, setEndedFlashSales] = useState<FlashSaleView[]>([]);
  const [chat] = useState(() => new ChatStore());
  const stateRef = useRef<RoomState | null>(null);
  const socketRef = useRef<RoomSocket | null>(null);
  const sawSnapshot = useRef(false);
  const resender = useRef(new Resender<RoomWrite>());
  const slowedUntil = useRef(0);

  const commit = useCallback((next: RoomState) => {
    stateRef.current = next;
    setState(next);
  }, []);

  useEffect(() => {
    let cancelled = false;
    sawSnapshot.current = false;
    chat.set(EMPTY_CHAT);
    setEndedFlashSales([]);
    const socket = new RoomSocket({
      url: roomSocketUrl(sessionId, location),
      onStatus: setConnection,
      onClockOffset: setOffsetMs,
      onMessage: (message) => {
        if (isChatFrame(message)) {
          chat.update((current) => applyChatFrame(current, message));
          return;
        }
        // A refused chat send is the chat box's to show, not the page's.
        if (message.type === 'error' && isChatError(chat.get(), message)) {
          chat.update((current) => withChatError(current, message));
          return;
        }
        if (message.type === 'slow_down') {
          slowedUntil.current = Date.now() + message.retryAfterMs;
          return;
        }
        if (message.type === 'ack') resender.current.settled(message.clientEventId);
        if (message.type === 'error') {
          const again = resender.current.refused(message);
          if (again) {
            setTimeout(() => {
              if (!resendWrite(again.message)) void sendRoomEvent(sessionId, again.message).catch(() => undefined);
            }, again.afterMs);
            return; // not the viewer's concern unless it keeps failing
          }
        }
        if (message.type === 'snapshot') {
          sawSnapshot.current = true;
          setLoadError(null);
          setOffsetMs(clockOffset(message.state.serverTime, Date.now()));
        }
        const update = applyServerMessage(stateRef.current, message);
        if (update.kind === 'state') commit(update.state);
        else if (update.kind === 'resync') socket.resync();
        if (message.type === 'flash_sale_ended' && update.kind === 'state') {
          const sale = message.flashSale;
          setEndedFlashSales((list) => [...list.slice(1 - ENDED_FLASH_SALES_KEPT), sale]);
        }
        if (message.type === 'ack' || message.type === 'error') setLastMessage(message);
        if (message.type === 'recommendations') setRecommendations(message.recommendations);
      },
    });
    getRoomState(sessionId).then(
      (loaded) => {
        if (cancelled || sawSnapshot.current) return; // a snapshot is at least as new
        setOffsetMs(clockOffset(loaded.serverTime, Date.now()));
        commit(loaded);
      },
      (error: unknown) => {
        if (cancelled || sawSnapshot.current) return;
        if (error instanceof ApiError && error.status === 404) socket.stop(); // no such room: stop knocking
        setLoadError(error instanceof ApiError ? error : new ApiError({ type: 'about:blank', title: String(error), status: 0, code: 'UNKNOWN' }));
      },
    );

    const resendWrite = (message: RoomWrite): boolean => {
      if (Date.now() < slowedUntil.current || !socket.send(message)) return false;
      resender.current.sent(message);
      return true;
    };
    socketRef.current = socket;
    socket.start();
    return () => {
      cancelled = true;
      socket.stop();
      socketRef.current = null;
    };
  }, [sessionId, commit, chat]);

  const send = useCallback((message: ClientMessage) => {
    const write = isRoomWrite(message);
    if (write && Date.now() < slowedUntil.current) return false;
    const sent = socketRef.current?.send(message) ?? false;
    if (sent && write) resender.current.sent(message);
    return sent;
  }, []);
  const patch = useCallback(
    (update: (current: RoomState) => RoomState) => {
      if (stateRef.current) commit(update(stateRef.current));
    },
    [commit],
  );

  const sendChat = useCallback(
    (message: Omit<ChatSendFrame, 'type' | 'clientEventId'>): string | null => {
      const clientEventId = newClientId();
      if (!socketRef.current?.send({ type: 'chat_send', clientEventId, ...message })) return null;
      chat.update((current) => withPendingSend(current, clientEventId));
      return clientEventId;
    },
    [chat],
  );
  const clearChatError = useCallback(() => chat.update(withoutChatError), [chat]);

  return { state, loadError, connection, offsetMs, send, patch, lastMessage, endedFlashSales, recommendations, chat, sendChat, clearChatError };
}
