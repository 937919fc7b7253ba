/**
 * Request bodies several suites send: a cross-border recipient (the compliance console's transfer
 * section) and a two-arm experiment in the demo room. Each takes what its test changes.
 */

/** A recipient abroad (Singapore) of live-room chat text, as an officer registers it. */
export const crossBorderRecipient = (over: Record<string, unknown> = {}) => ({
  id: 'sg-recipient',
  recipientName: 'Lion City Analytics Pte. Ltd.',
  contact: 'dpo@lioncity.example',
  region: 'sg',
  purpose: { zh: '分析直播间聊天以改进客服问答', en: 'Analyse live-room chat to improve support answers' },
  method: { zh: '自动化分析，保存 30 天', en: 'Automated analysis, kept 30 days' },
  rights: { zh: '发送邮件至 dpo@lioncity.example', en: 'Write to dpo@lioncity.example' },
  categories: [{ id: 'chat_text', zh: '聊天内容', en: 'Chat text', sensitive: false }],
  baseUrl: 'https://analytics.example.com/in',
  ...over,
});

/** The non-personalised list against LinUCB in the demo room, 50/50, on conversion. */
export const demoExperiment = (over: Record<string, unknown> = {}) => ({
  name: '个性化推荐对比 / Personalised vs not',
  brandId: 'demo-brand',
  sessionIds: ['demo'],
  arms: [
    { id: 'control', name: '非个性化', policy: 'non_personalised' },
    { id: 'bandit', name: 'LinUCB', policy: 'linucb' },
  ],
  allocation: [0.5, 0.5],
  control: 'control',
  primaryMetric: 'conversion',
  plannedUnitsPerArm: 100,
  lookEveryMinutes: 5,
  ...over,
});
