/**
 * The purposes a viewer decides on, each its own record (C5). Essential processing (delivering the
 * stream, the showcase, orders, an anonymous viewer count) needs no consent and is not listed here.
 */
export const PURPOSES = ['personalised_recommendations', 'assistant_memory', 'model_improvement', 'marketing', 'merchant_sharing'] as const;
export type Purpose = (typeof PURPOSES)[number];

export interface PurposeNotice {
  id: Purpose;
  title: { zh: string; en: string };
  /** What it is used for, in plain words. */
  use: { zh: string; en: string };
  dataCategories: { zh: string; en: string };
  retention: { zh: string; en: string };
}

export const PURPOSE_NOTICES: readonly PurposeNotice[] = [
  {
    id: 'personalised_recommendations',
    title: { zh: '个性化推荐', en: 'Personalised recommendations' },
    use: { zh: '根据您在直播间的浏览、点击和加购，为您挑选商品并说明推荐理由。', en: 'Choose products for you from what you view, click and add to cart in live rooms, and tell you why.' },
    dataCategories: { zh: '直播间行为事件、推导出的兴趣标签', en: 'Live-room behaviour events, derived interest tags' },
    retention: { zh: '事件保存 90 天；标签在您撤回同意后 24 小时内删除', en: 'Events kept 90 days; tags deleted within 24 hours of withdrawal' },
  },
  {
    id: 'assistant_memory',
    title: { zh: '购物助手记忆', en: 'Shopping assistant memory' },
    use: { zh: '让 AI 购物助手在本场直播之外记住您问过的问题。', en: 'Let the AI shopping assistant remember your questions beyond this show.' },
    dataCategories: { zh: '您向助手提出的问题及其回答', en: 'Your questions to the assistant and its answers' },
    retention: { zh: '30 天', en: '30 days' },
  },
  {
    id: 'model_improvement',
    title: { zh: '用反馈改进模型', en: 'Use my feedback to improve models' },
    use: { zh: '用您的点赞、点踩和“不感兴趣”改进推荐模型。', en: 'Use your 👍, 👎 and "not interested" to improve the recommendation model.' },
    dataCategories: { zh: '反馈事件', en: 'Feedback events' },
    retention: { zh: '180 天', en: '180 days' },
  },
  {
    id: 'marketing',
    title: { zh: '营销信息', en: 'Marketing' },
    use: { zh: '向您发送优惠券和直播预告。', en: 'Send you coupons and show announcements.' },
    dataCategories: { zh: '联系方式偏好、领券记录', en: 'Contact preferences, coupon history' },
    retention: { zh: '至您撤回同意为止', en: 'Until you withdraw consent' },
  },
  {
    id: 'merchant_sharing',
    title: { zh: '与商家共享', en: 'Sharing with the merchant' },
    use: { zh: '将您的兴趣标签提供给本直播间的商家，用于其会员服务。', en: "Give this room's merchant your interest tags for its membership service." },
    dataCategories: { zh: '兴趣标签（不含联系方式）', en: 'Interest tags (no contact details)' },
    retention: { zh: '商家按其隐私政策保存，最长 1 年', en: "Kept by the merchant under its privacy policy, at most 1 year" },
  },
];

export function isPurpose(value: string): value is Purpose {
  return (PURPOSES as readonly string[]).includes(value);
}
