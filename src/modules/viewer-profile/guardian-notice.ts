/**
 * The notice a guardian reads before consenting for a child under 14 (PIPL 31): a separate notice,
 * naming the operator, what is processed for the child, what never is, and how to withdraw.
 */
import type { Locale } from '../../context/index.js';
import type { Brand } from '../catalogue/index.js';
import { PURPOSE_NOTICES, sha256Hex, type Purpose } from '../consent/index.js';

/** Raise whenever the wording changes; a guardian decision must name the version it was made on. */
export const GUARDIAN_NOTICE_VERSION = '2026-11-29.1';

/** What a guardian may allow for a child. Minors mode (M2) never allows the others. */
export const GUARDIAN_PURPOSES = ['assistant_memory', 'model_improvement'] as const satisfies readonly Purpose[];
export type GuardianPurpose = (typeof GUARDIAN_PURPOSES)[number];

export interface GuardianNotice {
  version: string;
  locale: Locale;
  brandId: string;
  text: string;
  hash: string;
  purposes: { id: GuardianPurpose; title: string; use: string }[];
}

export function guardianNoticeFor(brand: Brand, locale: Locale): GuardianNotice {
  const zh = locale === 'zh-CN';
  const pick = (b: { zh: string; en: string }) => (zh ? b.zh : b.en);
  const purposes = PURPOSE_NOTICES.filter((p) => (GUARDIAN_PURPOSES as readonly string[]).includes(p.id)).map((p) => ({
    id: p.id as GuardianPurpose,
    title: pick(p.title),
    use: pick(p.use),
  }));
  const operator = pick(brand.operator);
  const paragraphs = zh
    ? [
        `未满十四周岁未成年人个人信息处理规则（监护人同意，版本 ${GUARDIAN_NOTICE_VERSION}）`,
        `您的孩子在${operator}运营的直播间声明其未满十四周岁。依照《个人信息保护法》第三十一条，处理其个人信息须经您同意。个人信息保护联系方式：${brand.contactEmail}，${brand.contactPhone}。`,
        '在您同意之前，孩子只能以匿名、非个性化的方式观看和购物，我们不保存其任何行为数据。',
        '无论您是否同意，我们都不会为孩子提供个性化推荐、不会发送营销信息、不会与商家共享其数据，并对其消费设有单笔和每月限额。',
        ...purposes.map((p) => `${p.title}：${p.use}`),
        '您可以只同意其中部分用途，也可以全部拒绝；孩子或您可随时在隐私中心撤回同意、下载或删除孩子的全部数据。',
      ]
    : [
        `Processing the personal information of a child under 14 (guardian consent, version ${GUARDIAN_NOTICE_VERSION})`,
        `Your child declared an age under 14 in a live room operated by ${operator}. Under PIPL article 31 their personal information may only be processed with your consent. Privacy contact: ${brand.contactEmail}, ${brand.contactPhone}.`,
        'Until you consent, your child can only watch and shop anonymously and without personalisation; none of their behaviour is stored.',
        'Whatever you decide, your child never gets personalised recommendations, marketing, or sharing with the merchant, and their spending has a per-order and a monthly limit.',
        ...purposes.map((p) => `${p.title}: ${p.use}`),
        'You may allow some of these, or none; you or your child can withdraw at any time in the privacy centre, and download or delete all of the child’s data.',
      ];
  const text = paragraphs.join('\n\n');
  return { version: GUARDIAN_NOTICE_VERSION, locale, brandId: brand.id, text, hash: sha256Hex(text), purposes };
}
