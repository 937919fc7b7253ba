/**
 * The privacy notice a viewer is shown before any choice (C2): operator and contact, each purpose
 * with its data categories and retention, and how to exercise rights. Its exact text is rendered
 * here, once, so the page shows precisely what the ledger's SHA-256 says was shown.
 */
import { createHash } from 'node:crypto';
import type { Locale } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import { PURPOSE_NOTICES, type Purpose } from './purposes.js';

/** Raise this whenever the wording or the purposes change: every viewer is asked again (C6). */
export const NOTICE_VERSION = '2026-12-01.1';

export interface Notice {
  version: string;
  locale: Locale;
  brandId: string;
  /** The exact text shown, paragraphs separated by blank lines. */
  text: string;
  /** SHA-256 (hex) of `text` as UTF-8. */
  hash: string;
  purposes: { id: Purpose; title: string; use: string; dataCategories: string; retention: string }[];
  operator: { name: string; contactEmail: string; contactPhone: string };
}

export function noticeFor(brand: Brand, locale: Locale): Notice {
  const zh = locale === 'zh-CN';
  const pick = (b: { zh: string; en: string }) => (zh ? b.zh : b.en);
  const purposes = PURPOSE_NOTICES.map((p) => ({
    id: p.id,
    title: pick(p.title),
    use: pick(p.use),
    dataCategories: pick(p.dataCategories),
    retention: pick(p.retention),
  }));
  const operator = { name: pick(brand.operator), contactEmail: brand.contactEmail, contactPhone: brand.contactPhone };
  const paragraphs = zh
    ? [
        `个人信息处理说明（版本 ${NOTICE_VERSION}）`,
        `本直播间由${operator.name}运营。个人信息保护联系方式：${operator.contactEmail}，${operator.contactPhone}。`,
        '观看直播、浏览商品、加入购物车和下单无需同意以下任何用途。以下每项用途都可以单独选择，默认均为关闭，可随时撤回。',
        ...purposes.map((p) => `${p.title}：${p.use} 涉及数据：${p.dataCategories}。保存期限：${p.retention}。`),
        '未满十四周岁的用户，须经监护人同意方可处理其个人信息；未满十八周岁的用户处于未成年人模式：不提供个性化推荐和营销信息，不与商家共享数据，并设有消费限额。',
        '您可以在“隐私中心”查看、下载或删除您的数据，关闭个性化推荐，或提出更正、删除请求；也可以通过上述联系方式行使权利。我们会在 15 天内答复。',
      ]
    : [
        `How we process personal information (version ${NOTICE_VERSION})`,
        `This live room is operated by ${operator.name}. Privacy contact: ${operator.contactEmail}, ${operator.contactPhone}.`,
        'Watching, browsing products, adding to cart and ordering need none of the purposes below. Each purpose is chosen on its own, is off by default, and can be withdrawn at any time.',
        ...purposes.map((p) => `${p.title}: ${p.use} Data: ${p.dataCategories}. Kept: ${p.retention}.`),
        "Viewers under 14 need a guardian's consent before any of their personal information is processed; viewers under 18 are in minors mode: no personalised recommendations, no marketing, no sharing with the merchant, and spending limits.",
        'In the privacy centre you can see, download or delete your data, switch personalisation off, or ask for a correction or deletion; you can also use the contact above. We answer within 15 days.',
      ];
  const text = paragraphs.join('\n\n');
  return { version: NOTICE_VERSION, locale, brandId: brand.id, text, hash: sha256Hex(text), purposes, operator };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
