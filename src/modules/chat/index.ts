/**
 * Live chat with moderation (LC3, LC6): viewers post over the room's WebSocket, staff moderate over
 * HTTP, every moderation action lands in a hash-chained, append-only log, and the transcript is
 * downloadable after the show with AI messages labelled (AI1). Chat text is personal data: sealed
 * under the viewer's key, exported and erased with the rest of their data, kept for its retention.
 */
export * from './contract.js';
export { ChatService, CHAT_DEFAULTS, HISTORY_SIZE, MAX_PENDING_MESSAGES, chatTopic, type ChatBusMessage, type ChatDeps, type ChatSession, type ChatSettings, type TranscriptRow } from './service.js';
export { KyselyChatStore } from './adapters/chat.kysely.js';
export type { ChatStore, StoredMessage, StoredLogEntry, StoredHandoff, StoredMemory } from './ports.js';
export { verifyChain, chainHash, GENESIS } from './log-chain.js';
export { checkText, containsLink, cleanText, KeywordFilter, DEFAULT_KEYWORDS, takePace, freshPace, mergeKeywords, type KeywordLists } from './policy.js';
export { chatRoutes } from './routes.js';
