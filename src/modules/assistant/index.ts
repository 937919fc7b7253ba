/**
 * The AI shopping assistant: retrieval over the brand's catalogue and FAQ (retrieval/), grounded
 * answers that decline or hand off when they should (answer/), the service that adds the room's live
 * facts, labels every reply (AI1) and keeps memory only as consented (AI4), the optional external
 * model behind the transfer gateway (L1), and the HTTP routes with reports (AI6).
 */
export * from './retrieval/index.js';
export * from './answer/index.js';
export { AssistantService, MEMORY_KEEP_DAYS, QUESTION_MAX, mentionedQuestion, type AssistantDeps, type BrandCatalogue, type RoomFacts } from './service.js';
export { TransferLanguageModel, addsNoNumbers, keepsTheFacts, type LanguageModel, type RewordInput, type RewordResult } from './model.js';
export { assistantRoutes, type ReportInput } from './routes.js';
