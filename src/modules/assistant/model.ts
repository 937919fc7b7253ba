/**
 * The optional external language model (off by default): it may only reword an answer the local
 * assistant already grounded, never add to it. It sits behind a port; the adapter sends through the
 * outbound transfer gateway, so it obeys the data-region rule (L1): without a recorded transfer basis
 * and the viewer's separate consent nothing leaves, and the viewer gets the local answer.
 */
import type { RequestContext } from '../../context/index.js';

export interface RewordInput {
  question: string;
  /** The grounded answer; every fact the reworded text states must be in it. */
  grounded: string;
  locale: 'zh-CN' | 'en';
  /** The asking viewer's keyed subject (the question is their personal information), if known. */
  subject: string | undefined;
}

export type RewordResult = { ok: true; text: string; provider: string } | { ok: false; reason: string };

export interface LanguageModel {
  readonly provider: string;
  reword(ctx: RequestContext, input: RewordInput): Promise<RewordResult>;
}

/** What the transfer gateway offers (src/modules/transfer): the only way data leaves. */
export interface TransferGateway {
  send(
    ctx: RequestContext,
    request: { destinationId: string; subjects: readonly string[]; categories: readonly string[]; payload: unknown; path?: string },
  ): Promise<{ ok: true; value: { status: number; body: string } } | { ok: false; code: string; detail?: string }>;
}

/**
 * An OpenAI-compatible chat-completions endpoint registered as a transfer destination. The viewer's
 * question is personal information: a question without a known viewer is not sent at all (there is
 * no one whose consent could cover it).
 */
export class TransferLanguageModel implements LanguageModel {
  readonly provider: string;

  constructor(
    private readonly transfer: TransferGateway,
    private readonly options: { destinationId: string; model: string; path?: string },
  ) {
    this.provider = `${options.destinationId}/${options.model}`;
  }

  async reword(ctx: RequestContext, input: RewordInput): Promise<RewordResult> {
    if (!input.subject) return { ok: false, reason: 'no viewer to hold a consent for the transfer' };
    const system =
      input.locale === 'en'
        ? 'Reword the shopping answer for a live-stream viewer in friendly English. Use only the facts in it; add no prices, stock numbers, claims or questions about the viewer.'
        : '把购物回答改写得更口语、更友好（简体中文）。只能使用回答里的事实，不得添加价格、库存、功效承诺，也不要询问观众的个人信息。';
    const sent = await this.transfer.send(ctx, {
      destinationId: this.options.destinationId,
      subjects: [input.subject],
      categories: ['assistant_questions'],
      path: this.options.path ?? '/v1/chat/completions',
      payload: {
        model: this.options.model,
        temperature: 0,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: `Question: ${input.question}\nAnswer: ${input.grounded}` },
        ],
      },
    });
    if (!sent.ok) return { ok: false, reason: sent.code };
    if (sent.value.status < 200 || sent.value.status >= 300) return { ok: false, reason: `provider answered ${sent.value.status}` };
    try {
      const body = JSON.parse(sent.value.body) as { choices?: Array<{ message?: { content?: unknown } }> };
      const text = body.choices?.[0]?.message?.content;
      return typeof text === 'string' && text.trim() ? { ok: true, text: text.trim(), provider: this.provider } : { ok: false, reason: 'empty reply' };
    } catch {
      return { ok: false, reason: 'unreadable reply' };
    }
  }
}

/** Every number in a text (prices, stock, ages …), as written, for the "adds nothing" check. */
function numbersIn(text: string): string[] {
  return (text.normalize('NFKC').replace(/(\d),(\d{3})/g, '$1$2').match(/\d+(?:\.\d+)?/g) ?? []).map((n) => String(Number(n)));
}

/** A reworded answer is used only if every number in it was in the grounded answer. */
export function addsNoNumbers(grounded: string, reworded: string): boolean {
  const allowed = new Set(numbersIn(grounded));
  return numbersIn(reworded).every((n) => allowed.has(n));
}

/**
 * The words that qualify a fact, which a rewording must not drop: stock is as of now, a sale's window
 * is China time, a price is a flash price, a product is sold out (LC5, A9: no price or urgency stated
 * without its conditions).
 */
const QUALIFIERS = ['截至此刻', '北京时间', '秒杀', '限量', '已售罄', 'as of now', 'china time', 'flash', 'limited to', 'sold out'] as const;

/**
 * A reworded answer is used only if it states the same facts: no number the grounded answer lacks,
 * every number it has (a price before the sale, a limit, a window, a stock count), and every
 * qualifier it has. Otherwise the grounded answer is used as it is.
 */
export function keepsTheFacts(grounded: string, reworded: string): boolean {
  if (!addsNoNumbers(grounded, reworded)) return false;
  const said = new Set(numbersIn(reworded));
  if (!numbersIn(grounded).every((n) => said.has(n))) return false;
  const g = grounded.normalize('NFKC').toLowerCase();
  const r = reworded.normalize('NFKC').toLowerCase();
  return QUALIFIERS.every((q) => !g.includes(q) || r.includes(q));
}
