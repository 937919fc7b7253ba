/**
 * The processing rules page (R4, PIPL 17 & 48): one versioned, public explanation built from the
 * same sources the system runs on — the notice's purposes, the data map, the retention schedule,
 * the minors rules and the region — so it cannot drift from what the code does.
 */
import { fail, ok, type Result } from '../errors/index.js';
import { regionName as nameOfRegion } from '../shared/region-names.js';
import type { Locale } from '../context/index.js';
import type { ConsentService } from '../modules/consent/index.js';
import { DATA_MAP, keptNote } from './data-map.js';

export interface RulesModules {
  consent: Pick<ConsentService, 'notice'>;
  region: string;
  retentionSchedule: () => readonly { category: string; keepDays: number; basis: string }[];
  /** How long a staff sign-in lasts (config.staffSessionHours). */
  staffSessionHours: number;
  minorSpending: { perOrderFen: number; monthlyFen: number };
}

export async function processingRules(m: RulesModules, brandId: string, locale: Locale): Promise<Result<unknown>> {
  const notice = await m.consent.notice(brandId, locale);
  if (!notice.ok) return fail('NOT_FOUND', 'no such brand');
  const zh = locale === 'zh-CN';
  const pick = (b: { zh: string; en: string }) => (zh ? b.zh : b.en);
  const schedule = new Map(m.retentionSchedule().map((c) => [c.category, c]));
  const days = (n: number) => (zh ? `${n} 天` : n === 1 ? '1 day' : `${n} days`);
  const facts = { staffSessionHours: m.staffSessionHours, keepDays: (category: string) => schedule.get(category)?.keepDays };
  // The data region people read (QINGLIU_DATA_REGION is a label such as `cn-mainland`).
  const regionName = nameOfRegion(m.region, locale);
  return ok({
    version: notice.value.version,
    locale,
    operator: notice.value.operator,
    region: m.region,
    noticeHash: notice.value.hash,
    essential: pick({
      zh: '观看直播、浏览商品、加入购物车、下单和匿名的在看人数无需您的同意（为履行合同所必需），也不会保存您的行为。',
      en: 'Watching, browsing, the cart, ordering and the anonymous viewer count need no consent (they are necessary to serve you) and store none of your behaviour.',
    }),
    purposes: notice.value.purposes,
    data: DATA_MAP.map((d) => ({
      category: d.category,
      /** The category's name in the page's language. */
      name: pick(d.name),
      what: pick(d.what),
      personal: d.personal,
      protection: d.protection,
      kept:
        'retentionCategory' in d.kept
          ? (() => {
              const c = schedule.get(d.kept.retentionCategory);
              return c ? days(c.keepDays) : d.kept.retentionCategory;
            })()
          : pick(keptNote(d.kept, facts)),
    })),
    security: pick({
      zh: '个人信息以 AES-256-GCM 按人加密保存，每人一把数据密钥，由密钥加密密钥包装；分析只用带密钥的假名；员工对个人信息的每次访问都写入防篡改的访问日志。',
      en: 'Personal data is sealed with AES-256-GCM under a data key per person, wrapped by a key-encryption key; analytics use keyed pseudonyms only; every staff access to personal data is written to a tamper-evident access log.',
    }),
    location: pick({
      zh: `数据存储在部署所在地区（${regionName}）。个人信息只有在已备案的合法依据（标准合同、认证或安全评估）且取得您的单独同意后才会出境，否则一律拒绝。`,
      en: `Data is stored in the deployment's region (${regionName}). Personal data leaves it only with a recorded legal basis (standard contract, certification or security assessment) and your separate consent; otherwise it is refused.`,
    }),
    minors: pick({
      zh: `未满十四周岁：须经监护人同意，此前只以匿名、非个性化方式服务。未满十八周岁：未成年人模式，不提供个性化推荐和营销，不与商家共享，单笔消费不超过 ¥${m.minorSpending.perOrderFen / 100}、每月不超过 ¥${m.minorSpending.monthlyFen / 100}。`,
      en: `Under 14: a guardian's consent is needed; until then only anonymous, non-personalised service. Under 18: minors mode — no personalised recommendations, no marketing, no sharing with the merchant, at most ¥${m.minorSpending.perOrderFen / 100} per order and ¥${m.minorSpending.monthlyFen / 100} per month.`,
    }),
    rights: pick({
      zh: '在隐私中心，您可以查看和下载（JSON、CSV）我们保存的全部数据、删除全部数据、查看和删除兴趣标签、关闭个性化推荐、撤回任何同意，并提交查阅、更正、删除或解释说明请求并跟踪进度；拒绝请求时我们会说明理由。我们在 15 天内答复。',
      en: 'In the privacy centre you can see and download (JSON, CSV) everything we hold, delete it all, see and delete your interest tags, switch personalisation off, withdraw any consent, and file access, correction, deletion or explanation requests and follow them; a refusal always comes with its reason. We answer within 15 days.',
    }),
    automatedDecisions: pick({
      zh: '推荐由可解释的模型生成，每条推荐都说明理由；不使用敏感个人信息；不同用户对同一商品在同一时间看到相同的价格。',
      en: 'Recommendations come from an explainable model and each says why; no sensitive personal information is used; everyone sees the same price for the same product at the same time.',
    }),
  });
}
