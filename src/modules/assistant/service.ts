/**
 * The AI shopping assistant in a live room: a viewer asks (the HTTP route, or "@助手 …" in the chat),
 * the local answerer replies from the brand's catalogue and FAQ only, with the room's live facts —
 * the pinned product for "这个", current prices (a running flash sale's price) and real stock. Every
 * reply is labelled (AI1); unsure answers and requests for a person go to the host's queue.
 *
 * Memory (AI4): what the viewer asked about (products and intents, never the words) is kept for the
 * show only, sealed in the database so that every node answering the viewer shares it and every
 * download or erasure sees it, and deleted when the show ends; it is kept across shows (sealed, 30
 * days) only under the assistant-memory consent. Questions are never logged.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock, Locale, RequestContext } from '../../context/index.js';
import { fail, ok, type Result } from '../../errors/index.js';
import { NO_METER, type WorkMeter } from '../../shared/work-meter.js';
import type { Faq, ProductDetail, Brand } from '../catalogue/index.js';
import { AI_LABEL, type AssistantReply, type ChatMessage, type ChatSource, type HandoffItem } from '../chat/contract.js';
import type { ChatStore } from '../chat/ports.js';
import { createAssistant, type Assistant, type FlashSaleFacts, type GroundedAnswer } from './answer/index.js';
import { keepsTheFacts, type LanguageModel } from './model.js';

export const QUESTION_MAX = 300;
/** How long assistant memory lives under the assistant-memory consent (the notice says 30 days). */
export const MEMORY_KEEP_DAYS = 30;
const MEMORY_TURNS = 10;
/** Writes of one turn tried against answers on other nodes landing meanwhile. */
const REMEMBER_ATTEMPTS = 3;
const DAY_MS = 86_400_000;
/** A brand's index is rebuilt in the background this long after it was built (catalogue changes rebuild it at once). */
const CATALOGUE_TTL_MS = 60 * 60_000;

/** A chat message addressed to the assistant: "@助手 …", "@assistant …" (any case, optional colon). */
const MENTION = /^\s*[@＠]\s*(?:助手|小助手|assistant|ai)\s*[:：,，]?\s*/i;

export function mentionedQuestion(text: string): string | undefined {
  const m = MENTION.exec(text);
  if (!m) return undefined;
  const q = text.slice(m[0].length).trim();
  return q.length > 0 ? q : undefined;
}

/**
 * The room as the live room service showed it when read (the caller may keep it until the showcase
 * changes): products with their real price and stock, and the flash sales running then.
 */
export interface RoomFacts {
  brandId: string;
  status: 'scheduled' | 'live' | 'ended';
  /** Pinned products, oldest pin first. */
  pins: readonly string[];
  /** `soldOut`: the host marked it sold out or its stock is zero (it cannot be ordered). */
  products: ReadonlyArray<{ id: string; priceFen: number; listPriceFen: number; stock: number; soldOut: boolean }>;
  /** Flash sales running when read: their price is the price until `endsAt`. */
  flashSales: ReadonlyArray<FlashSaleFacts & { productId: string; status: string }>;
}

export interface BrandCatalogue {
  brand: Brand;
  products: ProductDetail[];
  faqs: Faq[];
}

export interface AssistantDeps {
  catalogueOf(brandId: string): Promise<BrandCatalogue | undefined>;
  room(sessionId: string): Promise<RoomFacts | undefined>;
  chat: {
    postAssistant(sessionId: string, input: { text: string; sources: ChatSource[]; handoff: boolean; replyTo: string | null }): Promise<ChatMessage>;
    addHandoff(input: { sessionId: string; deviceId?: string; question: string; nickname?: string; locale: Locale; reason: string; messageId: string | null }): Promise<HandoffItem>;
  };
  allowsMemory(deviceId: string, brandId: string): Promise<boolean>;
  memoryStore: Pick<ChatStore, 'memory' | 'putMemory' | 'deleteMemory' | 'sessionMemory' | 'putSessionMemory' | 'sessionMemoriesOfSubject' | 'deleteSessionMemory'>;
  sealer: {
    sealTextFor(subject: string, field: { table: string; column: string; rowId: string }, plaintext: string): Promise<string>;
    openTextFor(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<string>;
  };
  subjectOf(deviceId: string): string;
  clock: Clock;
  meter?: WorkMeter;
  model?: LanguageModel;
  onError: (err: unknown) => void;
}

interface Turn {
  at: number;
  productIds: string[];
  intents: string[];
}

interface ShowTurns {
  turns: Turn[];
  /** The sealed text they were read from (null: none yet), for writing back only over the same. */
  read: string | null;
}

interface LoadedBrand {
  assistant: Assistant;
  products: Map<string, ProductDetail>;
  loadedAt: number;
}

const memoryField = (subject: string, brandId: string) => ({ table: 'assistant_memory', column: 'turns', rowId: `${subject}/${brandId}` });
const sessionMemoryField = (subject: string, sessionId: string) => ({ table: 'assistant_session_memory', column: 'turns', rowId: `${subject}/${sessionId}` });

export class AssistantService {
  readonly #brands = new Map<string, Promise<LoadedBrand>>();
  readonly #meter: WorkMeter;

  constructor(private readonly deps: AssistantDeps) {
    this.#meter = deps.meter ?? NO_METER;
  }

  readonly #answerListeners: Array<(outcome: string, seconds: number) => void> = [];

  /** Each reply's outcome (answered, handoff, declined) and how long it took (for metrics). */
  onAnswered(listener: (outcome: string, seconds: number) => void): void {
    this.#answerListeners.push(listener);
  }

  /** A catalogue change (import, price edit): the brand's index is rebuilt on the next question. */
  invalidateBrand(brandId: string): void {
    this.#brands.delete(brandId);
  }

  /** The show ended: every viewer's conversation memory of it is deleted (AI4), whichever node sees the end. */
  async forgetSession(sessionId: string): Promise<void> {
    await this.deps.memoryStore.deleteSessionMemory({ sessionId });
  }

  /** Erasure: the viewer's memory of every running show, and their memory kept across shows. */
  async forgetViewer(subject: string): Promise<void> {
    await this.deps.memoryStore.deleteSessionMemory({ subject });
    await this.deps.memoryStore.deleteMemory(subject);
  }

  /**
   * The assistant-memory consent withdrawn (or refused) for a brand: what was kept across shows for
   * it goes. The memory of the running show needs no consent (AI4) and stays until the show ends.
   */
  async forgetKeptMemory(subject: string, brandId: string): Promise<void> {
    await this.deps.memoryStore.deleteMemory(subject, brandId);
  }

  async ask(
    ctx: RequestContext,
    sessionId: string,
    input: { question: string; locale: Locale; deviceId?: string; nickname?: string; messageId?: string | null },
  ): Promise<Result<AssistantReply>> {
    const question = input.question.normalize('NFC').replace(/\s+/g, ' ').trim();
    if (question.length === 0) return fail('VALIDATION_FAILED', 'question: not blank');
    if ([...question].length > QUESTION_MAX) return fail('VALIDATION_FAILED', `question: at most ${QUESTION_MAX} characters`);
    const started = performance.now();
    const room = await this.deps.room(sessionId);
    if (!room) return fail('SESSION_NOT_FOUND');
    if (room.status === 'ended') return fail('SESSION_ENDED', 'the show has ended; the assistant answers during the show');
    let brand: LoadedBrand;
    try {
      brand = await this.#brand(room.brandId);
    } catch (err) {
      this.deps.onError(err);
      return fail('ASSISTANT_UNAVAILABLE', 'the catalogue could not be read');
    }
    const subject = input.deviceId ? this.deps.subjectOf(input.deviceId) : undefined;
    // The show's turns are read (and opened) once: they give the "它" of this question and take its turn.
    const shown = subject ? await this.#showTurns(sessionId, subject) : { turns: [], read: null };
    const previousProductId = subject ? await this.#previousProduct(shown.turns, subject, input.deviceId!, room.brandId) : undefined;
    const pinned = room.pins[room.pins.length - 1];

    const grounded = this.#meter.span('assistant', () => this.#answerWithLiveFacts(brand, room, question, { locale: input.locale, pinned, previousProductId }), sessionId);

    let answer = grounded.answer;
    if (this.deps.model && grounded.outcome === 'answered') {
      const reworded = await this.deps.model.reword(ctx, { question, grounded: grounded.answer, locale: input.locale, subject });
      // Used only when it states the same facts: nothing new (no other price, stock or age), nothing
      // dropped (the price before a sale, its limit and window, "as of now").
      if (reworded.ok && keepsTheFacts(grounded.answer, reworded.text)) answer = reworded.text;
    }
    const handoff = grounded.outcome === 'handoff';
    if (handoff) {
      await this.deps.chat.addHandoff({
        sessionId,
        ...(input.deviceId ? { deviceId: input.deviceId } : {}),
        question,
        ...(input.nickname ? { nickname: input.nickname } : {}),
        locale: input.locale,
        reason: grounded.reason ?? 'low_confidence',
        messageId: input.messageId ?? null,
      });
    }
    if (subject && grounded.productIds.length > 0) await this.#remember(sessionId, subject, input.deviceId!, room.brandId, shown, grounded);
    const seconds = (performance.now() - started) / 1000;
    for (const l of this.#answerListeners) l(grounded.outcome, seconds);
    return ok({
      id: randomUUID(),
      answer,
      aiGenerated: true,
      label: AI_LABEL,
      sources: grounded.sources.map((s) => ({ productId: s.productId, fields: [...s.fields] })),
      handoff,
      outcome: grounded.outcome,
      productIds: [...grounded.productIds],
    });
  }

  /** "@助手 …" in the chat: the answer goes to the room's chat, labelled, as a reply to the question. */
  async answerInChat(sessionId: string, m: { deviceId: string; message: ChatMessage; locale: Locale }, ctx: RequestContext): Promise<void> {
    const question = mentionedQuestion(m.message.text);
    if (!question) return;
    const reply = await this.ask(ctx, sessionId, { question, locale: m.locale, deviceId: m.deviceId, nickname: m.message.author.nickname, messageId: m.message.id });
    if (!reply.ok) {
      // The viewer asked in public: they hear that there is no answer rather than nothing (still labelled).
      if (reply.code === 'SESSION_ENDED' || reply.code === 'SESSION_NOT_FOUND') return;
      const text = m.locale === 'en' ? 'Sorry, the assistant cannot answer right now. Please ask the host.' : '抱歉，助手暂时无法回答，请直接问主播。';
      await this.deps.chat.postAssistant(sessionId, { text, sources: [], handoff: false, replyTo: m.message.id });
      return;
    }
    await this.deps.chat.postAssistant(sessionId, { text: reply.value.answer, sources: reply.value.sources, handoff: reply.value.handoff, replyTo: m.message.id });
  }

  /** What the assistant keeps about a viewer (the privacy centre's export). */
  async exportFor(subject: string, brandIds: readonly string[]): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for (const m of await this.deps.memoryStore.sessionMemoriesOfSubject(subject)) {
      const turns = await this.#openTurns(subject, sessionMemoryField(subject, m.sessionId), m.turnsSealed);
      if (turns) out.push({ kind: 'session_memory', sessionId: m.sessionId, turns });
    }
    for (const brandId of brandIds) {
      const stored = await this.deps.memoryStore.memory(subject, brandId, this.deps.clock.now());
      if (!stored) continue;
      const turns = await this.#openTurns(subject, memoryField(subject, brandId), stored.turnsSealed);
      if (turns) out.push({ kind: 'kept_memory', brandId, expiresAt: stored.expiresAt, turns });
    }
    return out;
  }

  #answerWithLiveFacts(brand: LoadedBrand, room: RoomFacts, question: string, c: { locale: Locale; pinned: string | undefined; previousProductId: string | undefined }): GroundedAnswer {
    // The room's facts replace the catalogue's for the length of one synchronous answer: the real
    // price and stock now, and the flash sales running now, quoted as the room shows them (their
    // price, the real price before, limit and window: LC5) and the same for every viewer (A6, AI5).
    // The facts may have been read a while ago: a sale whose time is up is not running, even before
    // its end reaches them (as the room's own state rules).
    // A product the host marked sold out cannot be ordered: no sale of it is quoted, whatever its count.
    const now = this.deps.clock.now();
    const soldOut = new Set(room.products.filter((p) => p.soldOut).map((p) => p.id));
    const flashSales = new Map<string, FlashSaleFacts>();
    for (const f of room.flashSales) {
      if (f.status !== 'active' || f.startsAt > now || f.endsAt <= now || f.remaining <= 0 || soldOut.has(f.productId)) continue;
      flashSales.set(f.productId, { priceFen: f.priceFen, previousPriceFen: f.previousPriceFen, quantity: f.quantity, remaining: f.remaining, startsAt: f.startsAt, endsAt: f.endsAt });
    }
    const restore: Array<() => void> = [];
    for (const live of room.products) {
      const p = brand.products.get(live.id);
      if (!p) continue;
      const before = { priceFen: p.priceFen, listPriceFen: p.listPriceFen, stock: p.stock };
      p.priceFen = live.priceFen;
      p.listPriceFen = live.listPriceFen;
      // Marked sold out by the host, it cannot be ordered: to the viewer it is sold out, whatever the count.
      p.stock = live.soldOut ? 0 : live.stock;
      restore.push(() => Object.assign(p, before));
    }
    try {
      return brand.assistant.answer(question, {
        locale: c.locale,
        ...(c.pinned ? { pinnedProductId: c.pinned } : {}),
        onStageProductIds: room.products.map((p) => p.id),
        ...(c.previousProductId ? { previousProductId: c.previousProductId } : {}),
        flashSales,
      });
    } finally {
      for (const r of restore) r();
    }
  }

  /** Builds a brand's index ahead of the first question (a show goes live, the server starts). */
  warm(brandId: string): void {
    void this.#brand(brandId).catch(this.deps.onError);
  }

  #brand(brandId: string): Promise<LoadedBrand> {
    const now = this.deps.clock.now();
    const cached = this.#brands.get(brandId);
    if (cached) {
      // Old: rebuilt in the background while questions keep getting the current one.
      void cached.then((b) => {
        if (now - b.loadedAt > CATALOGUE_TTL_MS && this.#brands.get(brandId) === cached) {
          const fresh = this.#load(brandId, now);
          fresh.then(
            () => {
              if (this.#brands.get(brandId) === cached) this.#brands.set(brandId, fresh);
            },
            this.deps.onError,
          );
        }
      }, () => undefined);
      return cached;
    }
    const loading = this.#load(brandId, now);
    this.#brands.set(brandId, loading);
    loading.catch(() => {
      if (this.#brands.get(brandId) === loading) this.#brands.delete(brandId);
    });
    return loading;
  }

  #load(brandId: string, now: number): Promise<LoadedBrand> {
    return (async () => {
      const catalogue = await this.deps.catalogueOf(brandId);
      if (!catalogue) throw new Error('assistant: no catalogue for the brand');
      const products = new Map(catalogue.products.map((p) => [p.id, p]));
      const assistant = this.#meter.span('assistant', () => createAssistant({ brand: catalogue.brand, products: catalogue.products, faqs: catalogue.faqs }));
      return { assistant, products, loadedAt: now };
    })();
  }

  /** The viewer's turns in this show so far (none if unreadable: the key is gone), and the sealed text they were read from. */
  async #showTurns(sessionId: string, subject: string): Promise<ShowTurns> {
    const stored = await this.deps.memoryStore.sessionMemory(sessionId, subject);
    if (!stored) return { turns: [], read: null };
    return { turns: (await this.#openTurns(subject, sessionMemoryField(subject, sessionId), stored.turnsSealed)) ?? [], read: stored.turnsSealed };
  }

  async #openTurns(subject: string, field: { table: string; column: string; rowId: string }, sealed: string): Promise<Turn[] | undefined> {
    try {
      return JSON.parse(await this.deps.sealer.openTextFor(subject, field, sealed)) as Turn[];
    } catch {
      return undefined; // unreadable: the key is gone (erased)
    }
  }

  /** The product of the show's last turn; before any, the last one kept across shows (under the consent). */
  async #previousProduct(turns: readonly Turn[], subject: string, deviceId: string, brandId: string): Promise<string | undefined> {
    const last = turns[turns.length - 1];
    if (last) return last.productIds[0];
    if (!(await this.deps.allowsMemory(deviceId, brandId))) return undefined;
    const stored = await this.deps.memoryStore.memory(subject, brandId, this.deps.clock.now());
    if (!stored) return undefined;
    const kept = await this.#openTurns(subject, memoryField(subject, brandId), stored.turnsSealed);
    return kept?.[kept.length - 1]?.productIds[0];
  }

  /**
   * `shown`: the show's turns as read for this question. The turn is added only to what is still
   * there: an answer on another node meanwhile is read again and kept too; memory that went meanwhile
   * (the show ended, the viewer was erased) is not written back, here or across shows.
   */
  async #remember(sessionId: string, subject: string, deviceId: string, brandId: string, shown: ShowTurns, a: GroundedAnswer): Promise<void> {
    const now = this.deps.clock.now();
    const turn: Turn = { at: now, productIds: [...a.productIds].slice(0, 3), intents: [...a.intents] };
    const field = sessionMemoryField(subject, sessionId);
    let current = shown;
    let turns: Turn[] = [];
    for (let attempt = 0; ; attempt++) {
      turns = [...current.turns, turn];
      if (turns.length > MEMORY_TURNS) turns.splice(0, turns.length - MEMORY_TURNS);
      const sealed = await this.deps.sealer.sealTextFor(subject, field, JSON.stringify(turns));
      if (await this.deps.memoryStore.putSessionMemory({ sessionId, subject, turnsSealed: sealed, updatedAt: now }, current.read)) break;
      if (attempt + 1 >= REMEMBER_ATTEMPTS) return; // busier than any one viewer asks: this turn is not kept
      const again = await this.#showTurns(sessionId, subject);
      if (current.read !== null && again.read === null) return; // deleted meanwhile: nothing comes back
      current = again;
    }
    // Kept beyond the show only under the assistant-memory consent (AI4); what is kept is which
    // products were asked about and what about, never the words.
    if (!(await this.deps.allowsMemory(deviceId, brandId))) return;
    await this.deps.memoryStore.putMemory({
      subject,
      brandId,
      turnsSealed: await this.deps.sealer.sealTextFor(subject, memoryField(subject, brandId), JSON.stringify(turns)),
      updatedAt: now,
      expiresAt: now + MEMORY_KEEP_DAYS * DAY_MS,
    });
  }
}
