/**
 * What simulated viewers say: their chat messages and their questions to the shopping assistant,
 * from small phrase pools in both languages, and the nickname that says they are simulated.
 *
 * Pure and deterministic: every draw comes from the generator the caller passes (the driver seeds
 * one per viewer and act), and each function takes the same number of uniforms whatever it picks,
 * so a change of one weight does not shift the other draws.
 *
 * The kinds of chat message (the scenario's `behaviour.chatMix`):
 * - reaction: "好看", "已下单", "so cute!";
 * - hostQuestion: a question to the host, not the assistant ("有没有优惠", "can you show it closer?");
 * - blockedWords: spam the server's default keyword filter blocks ("加微信私聊下单", "dm me to buy"),
 *   so moderation is exercised (CHAT_BLOCKED_WORDS);
 * - link: a link or a shop code, which only staff may post (CHAT_LINK_NOT_ALLOWED).
 * The domains in the link messages are made up (reserved or unregistered-looking), never a real shop.
 *
 * What questions to the assistant are about (`behaviour.assistantMix`): the pinned product ("这个多少钱",
 * "this one for what age"), an on-stage product by name (chosen by how much this viewer likes it),
 * shipping, returns and invoices, asking for a person (the assistant hands off to the host), and now
 * and then something the assistant should decline (a poem, a personal coupon, a medical question).
 * A share of them (`assistantInChatShare`) is asked in the chat as "@助手 …" / "@assistant …".
 */
import type { Rng } from '../../../shared/rng.js';
import type { SimViewer } from './audience.js';
import { itemProbabilities, type NoiseTable, type ProductView, type RoomContext } from './behaviour.js';
import { ASSISTANT_TOPICS, CHAT_KINDS, type AssistantTopic, type ChatKind, type ScenarioBehaviour } from './scenario.js';

type Locale = 'zh-CN' | 'en';

/** The chat phrases of each kind, per locale. */
export const CHAT_PHRASES: Readonly<Record<ChatKind, Readonly<Record<Locale, readonly string[]>>>> = {
  reaction: {
    'zh-CN': ['好看', '好看！', '哇 好可爱', '已下单', '已拍', '来了来了', '支持主播', '冲冲冲', '666', '等了好久了', '这个颜色好看', '蹲一个', '回购了', '质量真的好', '主播辛苦了'],
    en: ['so cute!', 'love it', 'just ordered', 'looks great', 'wow', 'hello from Shanghai', 'bought one last week, very good', 'nice colour', 'waiting for this one'],
  },
  hostQuestion: {
    'zh-CN': ['有没有优惠', '还有优惠吗', '主播能再讲一下这个吗', '能看看细节吗', '还有库存吗', '什么时候上新款', '下一个是什么', '能不能试一下', '宝宝两岁能用吗', '包邮吗', '有没有大一码的'],
    en: ['any discount today?', 'can you show it closer?', 'is there a bigger size?', 'when is the next flash sale?', 'what comes next?', 'does it come in blue?'],
  },
  blockedWords: {
    'zh-CN': ['加微信私聊下单更便宜', '代购 便宜出', '兼职日结 有意者看主页', '刷单返现'],
    en: ['dm me to buy cheaper', 'crypto giveaway on my page', 'whatsapp me for a better price'],
  },
  link: {
    'zh-CN': ['便宜的在这 cheap-baby-deals.top', '同款更便宜 www.baby-outlet-sale.shop', '复制 ￥Ab3dE5fG7h￥ 打开淘宝'],
    en: ['cheaper at bargain-babies.shop', 'same thing half price: www.discount-strollers.top'],
  },
};

/** The questions to the assistant of each topic, per locale; `{product}` stands for a product's name. */
export const ASSISTANT_QUESTIONS: Readonly<Record<AssistantTopic, Readonly<Record<Locale, readonly string[]>>>> = {
  pinnedProduct: {
    'zh-CN': ['这个多少钱', '这个多少钱呀', '这个适合多大的宝宝', '这个还有货吗', '这个是什么材质的', '这款有什么特点'],
    en: ['how much is this one', 'this one for what age', 'is this one in stock', 'what is this made of', 'what is special about this one'],
  },
  namedProduct: {
    'zh-CN': ['{product}多少钱', '{product}适合几个月的宝宝', '{product}还有货吗', '{product}怎么样'],
    en: ['how much is the {product}', 'what age is the {product} for', 'is the {product} in stock', 'tell me about the {product}'],
  },
  shopPolicy: {
    'zh-CN': ['一般几天能到货', '多久发货', '支持七天无理由退货吗', '可以开发票吗', '纸尿裤拆了还能退吗', '是正品吗'],
    en: ['how long does delivery take', 'do you offer 7-day returns', 'can I get an invoice', 'are the products genuine', 'when will my order ship'],
  },
  askForPerson: {
    'zh-CN': ['转人工', '我要找真人客服', '人工客服在吗'],
    en: ['can I talk to a person', 'I want a real person please', 'get me a human'],
  },
  offTopic: {
    'zh-CN': ['给我个专属优惠券呗', '宝宝发烧了吃什么药', '帮我写一首诗', '明天天气怎么样'],
    en: ['give me a special discount code', 'write me a poem about cats', 'what medicine for a fever', 'how does this compare to pampers'],
  },
};

/** How a question to the assistant is asked in the chat. */
export const ASSISTANT_MENTION: Readonly<Record<Locale, string>> = { 'zh-CN': '@助手 ', en: '@assistant ' };

/** One chat message a viewer sends. */
export interface ChatLine {
  kind: ChatKind;
  text: string;
}

/** One question to the assistant. */
export interface AssistantQuestion {
  topic: AssistantTopic;
  /** Asked on the assistant's route, or in the chat as "@助手 …". */
  via: 'http' | 'chat';
  /** The question; a namedProduct question has `{product}` where the product's name goes (fillProduct). */
  text: string;
  /** The product a namedProduct question is about (the world's id: the SKU). */
  productId?: string;
}

/** Picks a key with probability weight / Σ weights (keys with weight 0 are never picked). */
function pick<K extends string>(keys: readonly K[], weights: Readonly<Record<K, number>>, u: number): K {
  let total = 0;
  for (const k of keys) total += Math.max(0, weights[k]);
  let target = u * total;
  let last = keys[0]!;
  for (const k of keys) {
    const w = Math.max(0, weights[k]);
    if (w <= 0) continue;
    last = k;
    if (target < w) return k;
    target -= w;
  }
  return last;
}

const phrase = (list: readonly string[], u: number): string => list[Math.min(list.length - 1, Math.floor(u * list.length))]!;

/** A chat message of the viewer's language, its kind drawn from the mix (two uniforms). */
export function chatLine(locale: Locale, mix: ScenarioBehaviour['chatMix'], rng: Rng): ChatLine {
  const uKind = rng.next();
  const uPhrase = rng.next();
  const kind = pick(CHAT_KINDS, mix, uKind);
  return { kind, text: phrase(CHAT_PHRASES[kind][locale], uPhrase) };
}

/**
 * A question to the assistant (four uniforms): its topic from the mix, the way it is asked, the
 * question, and for a namedProduct question the product, drawn among the on-stage products that are
 * not sold out with probability proportional to the viewer's P(click | examined) — people ask about
 * what they like. Without such a product it asks about the pinned product instead.
 */
export function assistantQuestion(
  viewer: Pick<SimViewer, 'personaKey' | 'latent' | 'behaviour' | 'locale'>,
  products: readonly ProductView[],
  room: RoomContext,
  noise: NoiseTable,
  rng: Rng,
): AssistantQuestion {
  const b = viewer.behaviour;
  const [uTopic, uVia, uPhrase, uProduct] = [rng.next(), rng.next(), rng.next(), rng.next()];
  let topic = pick(ASSISTANT_TOPICS, b.assistantMix, uTopic);
  const via = uVia < b.assistantInChatShare ? 'chat' : 'http';
  let productId: string | undefined;
  if (topic === 'namedProduct') {
    const candidates = products.filter((p) => !p.soldOut);
    const weights = candidates.map((p) => itemProbabilities(viewer, p, room, noise).click);
    const total = weights.reduce((a, w) => a + w, 0);
    if (total > 0) {
      let target = uProduct * total;
      productId = candidates[candidates.length - 1]!.id;
      for (let i = 0; i < candidates.length; i++) {
        if (target < weights[i]!) {
          productId = candidates[i]!.id;
          break;
        }
        target -= weights[i]!;
      }
    } else topic = 'pinnedProduct';
  }
  return { topic, via, text: phrase(ASSISTANT_QUESTIONS[topic][viewer.locale], uPhrase), ...(productId !== undefined ? { productId } : {}) };
}

/**
 * A product's name as a viewer types it: the Chinese name up to its first space (the part before the
 * selling points, "轻便伞车"), the English one up to its first comma ("Lightweight Compact Travel Stroller"); a Chinese name that
 * starts with a Latin word keeps the next part too ("PPSU宽口径奶瓶").
 */
export function spokenName(name: { zh: string; en: string }, locale: Locale): string {
  if (locale === 'en') return (name.en.split(',')[0] ?? name.en).trim();
  const parts = name.zh.trim().split(/\s+/);
  // A leading part without a Chinese word ("PPSU 宽口径奶瓶") takes the next one with it.
  const first = parts[0] ?? name.zh;
  return !/\p{Script=Han}{2}/u.test(first) && parts[1] ? `${first}${parts[1]}` : first;
}

/** The question with the product's name in place of `{product}`. */
export function fillProduct(text: string, productName: string): string {
  return text.replace('{product}', productName);
}

/** The text of a chat message that asks the assistant ("@助手 这个多少钱"). */
export function mentionText(question: string, locale: Locale): string {
  return `${ASSISTANT_MENTION[locale]}${question}`;
}

/**
 * The nickname of a simulated viewer in the chat, which says so wherever the chat shows it: "模拟观众 12",
 * "Simulated viewer 12" (numbered from 1; at most 20 characters, the server's limit, so from 1,000 on
 * the English one is "Simulated #1234").
 */
export function simulatedNickname(index: number, locale: Locale): string {
  const n = index + 1;
  if (locale === 'zh-CN') return `模拟观众 ${n}`;
  return n < 1000 ? `Simulated viewer ${n}` : `Simulated #${n}`;
}
