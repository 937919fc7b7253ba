/**
 * The assistant's grounded answerer, on top of the retrieval core (../retrieval): a viewer's
 * question and its context (locale, pinned product, products on stage, the previous question's
 * product) → an answer that quotes only catalogue and FAQ data and names the products it used, or a
 * polite handoff to the host (asked for a person, not confident, not in the catalogue) or refusal
 * (out of scope, unsafe, sensitive personal data, personal prices). Pure and deterministic; build it
 * once per catalogue version with `createAssistant`. See compose.ts for the steps.
 */
export { createAssistant, ANSWER_THRESHOLDS } from './compose.js';
export { screenQuestion, replyText, type Screening, type SafetyClass } from './safety.js';
export { detectAspects, childAgeMonths, type Aspect } from './aspects.js';
export { formatMoney, formatAgeRange, formatChinaTime } from './format.js';
export type {
  AnswerContext,
  AnswerLocale,
  AnswerOutcome,
  AnswerReason,
  AnswerSource,
  Assistant,
  AssistantCatalogue,
  AssistantProduct,
  FlashSaleFacts,
  GroundedAnswer,
} from './types.js';
