/**
 * The AI shopping assistant (in progress): so far its retrieval core — which catalogue products and
 * FAQ entries a viewer's question is about, and what it asks of them. Answering, the chat and the
 * HTTP route build on it.
 */
export * from './retrieval/index.js';
