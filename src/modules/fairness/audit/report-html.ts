/**
 * A fairness audit report as one self-contained HTML page, in Simplified Chinese or English: the
 * scope, the flags, the method and thresholds with their recorded reasons, per viewer segment the
 * groups, the gaps against the reference and the summary indices, and the product exposure, with
 * charts rendered here, server-side, to inline SVG by Apache ECharts (as the simulation report does).
 *
 * The page is served under `default-src 'none'; style-src 'unsafe-inline'; img-src data:`: no
 * script, no style sheet, font or image from elsewhere, inline styles only. Every text taken from
 * the report is escaped (ECharts escapes the texts it draws). Suppressed groups show their size
 * only, never a rate. The same report gives the same page, byte for byte: no clock is read, and
 * the ids ECharts numbers from process-wide counters are renumbered per page.
 */
import { createRequire } from 'node:module';
import type {
  AuditThresholds,
  AuditTrigger,
  ExposureSection,
  FairnessReport,
  ProductGroupExposure,
  ProductGrouping,
  SegmentAttribute,
  SegmentAudit,
  SegmentGap,
  SegmentGroupRow,
  SegmentMetric,
} from './contract.js';
import { groupWords } from './words.js';

export type ReportLocale = 'zh-CN' | 'en';

// ---- escaping and numbers ----

/** Escapes text for HTML content and attribute values. */
function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const finite = (x: number | null | undefined): x is number => x !== null && x !== undefined && Number.isFinite(x);
const DASH = '—';
/** A group's name in the report's language (a category or seller keeps its own name). */
const groupName = (t: { lang: 'en' | 'zh' }, dimension: string, group: string): string => groupWords(dimension, group)[t.lang];
/** The name, with the value the JSON carries when the two differ. */
const groupNameAndValue = (t: { lang: 'en' | 'zh' }, dimension: string, group: string): string => {
  const name = groupName(t, dimension, group);
  return name === group ? name : `${name} (${group})`;
};
/** Minus sign for negative figures (typographic, not a hyphen). */
const signed = (x: number, body: (abs: number) => string): string => `${x < 0 ? '−' : x > 0 ? '+' : ''}${body(Math.abs(x))}`;

const grouped = (x: number, digits: number): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (x: number | null | undefined): string => (finite(x) ? grouped(Math.round(x), 0) : DASH);
const num = (x: number | null | undefined, digits = 3): string => (finite(x) ? (x < 0 ? `−${Math.abs(x).toFixed(digits)}` : x.toFixed(digits)) : DASH);
const pct = (x: number | null | undefined, digits = 1): string => (finite(x) ? `${(x * 100).toFixed(digits)}%` : DASH);
const yuan = (x: number | null | undefined): string => (finite(x) ? `¥${grouped(x, 2)}` : DASH);
const pValue = (p: number | null | undefined): string => (finite(p) ? (p < 0.001 ? '< 0.001' : p.toFixed(3)) : DASH);

const HOUR = 3_600_000;
/** An instant in China time (UTC+8), ISO 8601 to the second. */
function chinaTime(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  const d = new Date(ms + 8 * HOUR);
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

// ---- labels ----

const EN = {
  lang: 'en' as 'en' | 'zh',
  title: 'Fairness audit report',
  simulatedTitle: 'SIMULATED',
  simulatedBanner: 'SIMULATED AUDIENCE / 模拟观众',
  simulatedText: 'The decisions audited here were served to a simulated audience (demo mode): no real viewer is counted.',
  auditId: 'Audit id',
  trigger: 'Trigger',
  triggers: { session_end: 'session end', scheduled: 'scheduled', on_demand: 'on demand', live: 'live (during the session)' } satisfies Record<AuditTrigger, string>,
  brand: 'Brand',
  session: 'Session',
  allSessions: 'all sessions',
  from: 'From (China time, UTC+8)',
  until: 'Until, exclusive (China time, UTC+8)',
  createdAt: 'Created (China time, UTC+8)',
  decisions: 'Decisions (impressions)',
  lists: 'Lists',
  personalisedShare: 'Personalised share',
  keepUntil: 'Kept until',
  keepText: (when: string) => `kept until ${when}, at least 3 years (A8)`,
  flagsCount: (n: number) => `Flagged gaps (${n})`,
  noFlags: 'No gap flagged',
  noFlagsText: 'No gap is both outside its band and significant after Holm’s correction.',
  methodTitle: 'Method and thresholds',
  definitions: 'Definitions',
  premiumFrom: 'Premium product: price from',
  selection: 'Selection (ŷ = 1)',
  label: 'Label (y = 1)',
  method: 'Method',
  bootstrap: 'Bootstrap replicates',
  seed: 'Seed',
  tests: 'Tests',
  correction: 'Correction',
  threshold: 'Threshold',
  thresholds: 'Thresholds',
  colon: ': ',
  value: 'Value',
  reason: 'Reason',
  thresholdNames: {
    ratio: 'Ratio band τ (outside [τ, 1/τ])',
    minGroupSize: 'Minimum group size (viewers, counted per show)',
    alpha: 'Significance level α (after Holm)',
    premiumQuantile: 'Premium quantile of the prices shown',
    exposureBand: 'Exposure ÷ merit band',
  } satisfies Record<keyof AuditThresholds, string>,
  segmentsTitle: 'Viewer segments',
  segmentsIntro: 'Each group is compared with the reference group. TPR, FPR, FNR, FDR and FOR are the error rates of “premium shown” against “clicked”.',
  attributes: { childAgeBand: 'child age band', cityTier: 'city tier', device: 'device type', visitor: 'new or returning' } satisfies Record<SegmentAttribute, string>,
  status: {
    ok: '',
    one_group: 'Only one group to compare: no gap is computed.',
    too_few: (n: number) => `Every group has fewer viewers (counted per show) than the minimum size (${n}): sizes only.`,
    not_recorded: 'Not recorded: no decision carries this attribute.',
  },
  recorded: 'Decisions that carry it',
  missing: 'Decisions without it',
  reference: 'Reference group',
  referenceMark: 'reference',
  groupsTable: 'Groups',
  groupCols: ['group', 'viewers (per show)', 'impressions', 'premium rate', 'premium share', 'CTR', 'conversion', 'mean price', 'mean discount', 'TPR', 'FPR', 'FNR', 'FDR', 'FOR'],
  suppressed: (n: number) => `suppressed (fewer than ${n} viewers, counted per show)`,
  gapsTable: 'Gaps against the reference',
  gapCols: ['group', 'metric', 'value', 'reference value', 'difference', 'ratio', '95% interval', 'p', 'p (Holm)', 'fair', 'flagged'],
  noGaps: 'No gap to show.',
  metrics: {
    premiumRate: 'premium rate',
    meanPrice: 'mean price',
    meanDiscount: 'mean discount',
    ctr: 'CTR',
    conversion: 'conversion',
    tpr: 'TPR',
    fpr: 'FPR',
  } satisfies Record<SegmentMetric, string>,
  pp: 'pp',
  yes: 'yes',
  no: 'no',
  flaggedMark: 'FLAGGED',
  signedTable: 'Signed comparisons on “premium shown” (AIF360)',
  signedCols: ['group', 'statistical parity difference', 'disparate impact', 'equal opportunity difference', 'average odds difference'],
  summaryTable: 'Summary indices',
  summary: {
    demographicParityDifference: 'demographic parity difference',
    demographicParityRatio: 'demographic parity ratio',
    equalizedOddsDifference: 'equalized odds difference',
    equalOpportunityDifference: 'equal opportunity difference',
    generalizedEntropyIndex: 'generalized entropy index',
    theilIndex: 'Theil index',
  } satisfies Record<keyof SegmentAudit['summary'], string>,
  index: 'index',
  chartSegment: (attribute: string) => `${attribute}: mean recommended price and premium rate per group`,
  chartPrice: 'mean price (¥)',
  chartPremium: 'premium rate (%)',
  chartReference: 'reference',
  chartReferenceNote: 'red bar and dashed line: the reference group',
  exposureTitle: 'Product exposure',
  mitigationTitle: 'Exposure-fair re-ranking: its effect and cost',
  mitigationOff: 'The re-ranker was off for every decision in this scope.',
  mitigationIntro: 'A random share of lists is served as ranked (held out); re-ranked and held-out lists differ only by the re-ranking, so the difference in click-through is what fairness cost (negative) or gained.',
  mitigationFacts: { applied: 'lists re-ranked', changed: 'of which changed', holdout: 'lists held out', ctrApplied: 'click-through, re-ranked', ctrHoldout: 'click-through, held out', difference: 'difference (re-ranked − held out)', ci: '95 % interval (clustered by viewer)', p: 'p' },
  mitigationCols: ['grouping', 'distance of attention from merit, re-ranked', 'held out', 'worst exposure ÷ merit, re-ranked', 'held out', 'groups outside the band, re-ranked', 'held out'],
  productsShown: 'Products shown',
  catalogueSize: 'Catalogue size',
  coverage: 'Coverage',
  gini: 'Gini (impressions)',
  exposureGini: 'Gini (exposure)',
  groupings: { category: 'category', priceBand: 'price band', seller: 'seller' } satisfies Record<ProductGrouping, string>,
  minMaxRatio: 'Lowest ÷ highest mean exposure',
  productCols: ['group', 'products', 'impressions', 'mean exposure', 'exposure share', 'merit (CTR)', 'merit share', 'exposure ÷ merit', '95 % interval', 'p (Holm)', 'fair', 'flagged'],
  noProducts: 'No product shown.',
  chartExposure: (grouping: string) => `${grouping}: exposure share vs merit share`,
  chartExposureShare: 'exposure share (%)',
  chartMeritShare: 'merit share (%)',
  howTitle: 'How to read this report',
  how: (t: { ratio: string; alpha: string; minSize: string; band: string }) =>
    `Each group is compared with the reference group. A gap is flagged only when its ratio lies outside the band [${t.ratio}] and it is significant after Holm’s correction (p (Holm) < ${t.alpha}); a gap outside the band that may be chance, or a significant gap inside the band, is not flagged. A product group is flagged when its share of attention ÷ its share of merit lies outside [${t.band}] on enough impressions. A viewer group with fewer than ${t.minSize} viewers is suppressed: its size is shown, never its rates. Viewers are counted once per show: the audit never links a viewer across shows, so in an audit of several shows one person may count more than once; a product group’s exposure is tested only on at least ${t.minSize} impressions. The decisions audited carry no viewer identity, so no figure here can be traced back to a person.`,
};

type Labels = typeof EN;

const ZH: Labels = {
  lang: 'zh',
  title: '公平性审计报告',
  simulatedTitle: '模拟',
  simulatedBanner: 'SIMULATED AUDIENCE / 模拟观众',
  simulatedText: '本报告审计的决策面向模拟观众（演示模式），不涉及任何真实观众。',
  auditId: '审计编号',
  trigger: '触发方式',
  triggers: { session_end: '场次结束', scheduled: '定时', on_demand: '按需', live: '直播中实时' },
  brand: '品牌',
  session: '场次',
  allSessions: '全部场次',
  from: '开始（北京时间，UTC+8）',
  until: '结束，不含（北京时间，UTC+8）',
  createdAt: '生成时间（北京时间，UTC+8）',
  decisions: '决策数（展示次数）',
  lists: '推荐列表数',
  personalisedShare: '个性化推荐占比',
  keepUntil: '保存期限',
  keepText: (when: string) => `保存至 ${when}，至少三年（A8）`,
  flagsCount: (n: number) => `标记的差距（${n} 项）`,
  noFlags: '未发现显著差距',
  noFlagsText: '没有任何差距同时超出阈值带且在 Holm 校正后显著。',
  methodTitle: '方法与阈值',
  definitions: '定义',
  premiumFrom: '高价商品：价格不低于',
  selection: '选择（ŷ = 1）',
  label: '标签（y = 1）',
  method: '方法',
  bootstrap: '自助法重抽样次数',
  seed: '随机种子',
  tests: '检验',
  correction: '多重比较校正',
  threshold: '阈值',
  thresholds: '阈值',
  colon: '：',
  value: '取值',
  reason: '理由',
  thresholdNames: {
    ratio: '比值阈值 τ（超出 [τ, 1/τ]）',
    minGroupSize: '最小组规模（观众人次）',
    alpha: '显著性水平 α（Holm 校正后）',
    premiumQuantile: '高价分位数（所展示商品的价格）',
    exposureBand: '曝光 ÷ 贡献 阈值带',
  },
  segmentsTitle: '观众分组',
  segmentsIntro: '每个组都与参照组比较。TPR、FPR、FNR、FDR、FOR 是“展示高价商品”相对于“点击”的错误率。',
  attributes: { childAgeBand: '孩子年龄段', cityTier: '城市级别', device: '设备类型', visitor: '新老访客' },
  status: {
    ok: '',
    one_group: '只有一个组可比较，未计算差距。',
    too_few: (n: number) => `所有组的观众人次都少于最小规模（${n}），仅显示规模。`,
    not_recorded: '未记录：没有任何决策带有此属性。',
  },
  recorded: '带有此属性的决策',
  missing: '未带此属性的决策',
  reference: '参照组',
  referenceMark: '参照组',
  groupsTable: '各组',
  groupCols: ['组', '观众人次', '展示次数', '高价商品占比', '高价展示份额', '点击率', '转化率', '平均价格', '平均折扣', 'TPR', 'FPR', 'FNR', 'FDR', 'FOR'],
  suppressed: (n: number) => `已隐藏（少于 ${n} 人次）`,
  gapsTable: '与参照组的差距',
  gapCols: ['组', '指标', '值', '参照值', '差值', '比值', '95% 区间', 'p', 'p（Holm）', '在阈值带内', '已标记'],
  noGaps: '没有可显示的差距。',
  metrics: {
    premiumRate: '高价商品占比',
    meanPrice: '平均价格',
    meanDiscount: '平均折扣',
    ctr: '点击率',
    conversion: '转化率',
    tpr: 'TPR',
    fpr: 'FPR',
  },
  pp: '个百分点',
  yes: '是',
  no: '否',
  flaggedMark: '已标记',
  signedTable: '“展示高价商品”的有向比较（AIF360）',
  signedCols: ['组', '统计均等差', '差异影响', '机会均等差', '平均几率差'],
  summaryTable: '汇总指数',
  summary: {
    demographicParityDifference: '人口均等差',
    demographicParityRatio: '人口均等比',
    equalizedOddsDifference: '均衡几率差',
    equalOpportunityDifference: '机会均等差',
    generalizedEntropyIndex: '广义熵指数',
    theilIndex: '泰尔指数',
  },
  index: '指数',
  chartSegment: (attribute: string) => `${attribute}：各组推荐商品平均价格与高价商品占比`,
  chartPrice: '平均价格（¥）',
  chartPremium: '高价商品占比（%）',
  chartReference: '参照组',
  chartReferenceNote: '红色柱与虚线：参照组',
  exposureTitle: '商品曝光',
  mitigationTitle: '公平曝光重排：效果与代价',
  mitigationOff: '该范围内的所有推荐都未启用重排。',
  mitigationIntro: '随机留出一部分列表按原排序展示（对照组）；重排列表与对照列表只差重排本身，两者点击率之差即公平重排的代价（为负）或收益。',
  mitigationFacts: { applied: '重排的列表', changed: '其中顺序有改动', holdout: '留出的列表', ctrApplied: '点击率（重排）', ctrHoldout: '点击率（留出）', difference: '差值（重排 − 留出）', ci: '95% 区间（按观众聚类）', p: 'p' },
  mitigationCols: ['分组方式', '曝光与贡献的距离（重排）', '（留出）', '曝光÷贡献最大偏离（重排）', '（留出）', '超出区间的分组数（重排）', '（留出）'],
  productsShown: '展示过的商品数',
  catalogueSize: '商品目录规模',
  coverage: '覆盖率',
  gini: '基尼系数（展示次数）',
  exposureGini: '基尼系数（曝光）',
  groupings: { category: '品类', priceBand: '价格段', seller: '商家' },
  minMaxRatio: '最低 ÷ 最高平均曝光',
  productCols: ['组', '商品数', '展示次数', '平均曝光', '曝光份额', '贡献（点击率）', '贡献份额', '曝光 ÷ 贡献', '95% 区间', 'p（Holm）', '在阈值带内', '已标记'],
  noProducts: '没有展示过的商品。',
  chartExposure: (grouping: string) => `${grouping}：曝光份额与贡献份额`,
  chartExposureShare: '曝光份额（%）',
  chartMeritShare: '贡献份额（%）',
  howTitle: '如何阅读本报告',
  how: (t: { ratio: string; alpha: string; minSize: string; band: string }) =>
    `每个组都与参照组比较。只有当比值超出阈值带 [${t.ratio}]，且经 Holm 校正后显著（p（Holm）< ${t.alpha}）时，差距才会被标记；超出阈值带但可能出于偶然的差距，或阈值带内的显著差距，都不标记。商品组在展示次数足够时，若其注意力份额 ÷ 贡献份额超出 [${t.band}]，即被标记。观众人次少于 ${t.minSize} 的组被隐藏：只显示其规模，从不显示其比率。观众按场次计（人次）：审计从不跨场次关联观众，因此在多场直播的审计中，同一人可能计入多次；商品组的曝光只在展示次数不少于 ${t.minSize} 时才检验。所审计的决策不带任何观众身份，本报告中的任何数字都无法追溯到个人。`,
};

// ---- tables ----

/** A cell: text (escaped), or a figure (escaped, right-aligned), optionally spanning columns. */
type Cell = string | { readonly text: string; readonly n?: boolean; readonly span?: number; readonly cls?: string };
interface Row {
  readonly cells: readonly Cell[];
  readonly cls?: string;
}

/** A figure cell. */
const fig = (text: string): Cell => ({ text, n: true });

function table(header: readonly string[], rows: readonly Row[], caption?: string): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const td = (c: Cell) => {
    if (typeof c === 'string') return `<td>${escapeHtml(c)}</td>`;
    const cls = [c.n ? 'n' : '', c.cls ?? ''].filter(Boolean).join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}${c.span ? ` colspan="${c.span}"` : ''}>${escapeHtml(c.text)}</td>`;
  };
  const trs = rows.map((r) => `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map(td).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table></div>`;
}

/** A two-column table of labelled figures. */
const facts = (rows: readonly (readonly [string, string])[]): string =>
  `<table class="facts"><tbody>\n${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n')}\n</tbody></table>`;

// ---- charts ----

type ECharts = typeof import('echarts');
let echartsLib: ECharts | undefined;
/** ECharts is loaded on the first page made, not when the app starts (its CommonJS build: synchronous). */
function echarts(): ECharts {
  return (echartsLib ??= createRequire(import.meta.url)('echarts') as ECharts);
}

const CHART_W = 640;
const CHART_H = 260;

/**
 * ZRender names an SVG's classes and ids from process-wide counters (`zr7-cls-12`): renumbered
 * here per chart of the page (`fa0-cls-0` …), so the same report gives the same page and the
 * charts of one page never share a class. Only tags and the SVG's own style block are touched,
 * never the texts drawn.
 */
function stableIds(svg: string, prefix: string): string {
  const classes = new Map<string, string>();
  const fix = (s: string) =>
    s.replace(/(?<![\w-])zr\d+-(cls-\d+|[a-z]+-?\d+)/g, (_m, rest: string) => {
      if (!rest.startsWith('cls-')) return `${prefix}-${rest}`;
      let c = classes.get(rest);
      if (c === undefined) {
        c = `cls-${classes.size}`;
        classes.set(rest, c);
      }
      return `${prefix}-${c}`;
    });
  return svg.replace(/<style[^>]*>[\s\S]*?<\/style>|<[^>]+>/g, fix);
}

/** One chart as an SVG string (ECharts server-side rendering; the instance is disposed). */
function svgChart(option: Record<string, unknown>, prefix: string): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: CHART_W, height: CHART_H });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'system-ui, "PingFang SC", "Microsoft YaHei", sans-serif' }, ...option });
    return `<div class="chart">${stableIds(chart.renderToSVGString(), prefix)}</div>`;
  } finally {
    chart.dispose();
  }
}

const round = (x: number | null, digits: number): number | null => (finite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);
const GRID = { left: 64, right: 64, top: 44, bottom: 52 };
const TITLE = (text: string) => ({ text, left: 'center', textStyle: { fontSize: 13, fontWeight: 'bold' } });
/** A value axis named along its side, not above it where the title is. */
const SIDE_NAME = { nameLocation: 'middle', nameTextStyle: { fontSize: 11 } };
/** Server-side, ECharts guesses text widths: generous gaps keep the legend's entries apart. */
const LEGEND = { bottom: 0, itemGap: 36, textStyle: { fontSize: 11 } };
const COLORS = { price: '#4e79a7', reference: '#e15759', premium: '#f28e2b', exposure: '#4e79a7', merit: '#59a14f' };

function segmentChart(t: Labels, s: SegmentAudit, prefix: string): string {
  const rows = s.groups.filter((g) => !g.suppressed);
  const names = rows.map((g) => (g.group === s.reference ? `${groupName(t, s.attribute, g.group)} (${t.chartReference})` : groupName(t, s.attribute, g.group)));
  const reference = rows.find((g) => g.group === s.reference);
  const refPrice = round(reference?.meanPrice ?? null, 2);
  return svgChart(
    {
      title: { ...TITLE(t.chartSegment(t.attributes[s.attribute])), subtext: t.chartReferenceNote, subtextStyle: { fontSize: 11, color: '#666' }, itemGap: 4 },
      legend: LEGEND,
      grid: { ...GRID, top: 58 },
      xAxis: { type: 'category', data: names, axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: [
        { type: 'value', name: t.chartPrice, ...SIDE_NAME, nameGap: 44, min: 0 },
        { type: 'value', name: t.chartPremium, ...SIDE_NAME, nameGap: 36, min: 0, splitLine: { show: false } },
      ],
      series: [
        {
          name: t.chartPrice,
          type: 'bar',
          yAxisIndex: 0,
          barMaxWidth: 36,
          itemStyle: { color: COLORS.price },
          data: rows.map((g) => ({ value: round(g.meanPrice, 2), itemStyle: g.group === s.reference ? { color: COLORS.reference } : undefined })),
          label: { show: true, position: 'top', fontSize: 10, formatter: '¥{c}' },
          ...(refPrice === null
            ? {}
            : { markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: COLORS.reference }, label: { show: false }, data: [{ yAxis: refPrice }] } }),
        },
        {
          name: t.chartPremium,
          type: 'bar',
          yAxisIndex: 1,
          barMaxWidth: 36,
          itemStyle: { color: COLORS.premium },
          data: rows.map((g) => round(finite(g.premiumRate) ? g.premiumRate * 100 : null, 1)),
          label: { show: true, position: 'top', fontSize: 10, formatter: '{c}%' },
        },
      ],
    },
    prefix,
  );
}

const SHARE_LABEL = { show: true, position: 'top', fontSize: 10, formatter: '{c}%' };

function exposureChart(t: Labels, grouping: ProductGrouping, groups: readonly ProductGroupExposure[], prefix: string): string {
  const share = (x: number | null) => round(finite(x) ? x * 100 : null, 1);
  return svgChart(
    {
      title: TITLE(t.chartExposure(t.groupings[grouping])),
      legend: LEGEND,
      grid: { ...GRID, right: 24 },
      xAxis: { type: 'category', data: groups.map((g) => groupName(t, grouping, g.group)), axisLabel: { interval: 0, fontSize: 11 } },
      yAxis: { type: 'value', name: '%', ...SIDE_NAME, nameGap: 36, min: 0 },
      series: [
        { name: t.chartExposureShare, type: 'bar', barMaxWidth: 30, itemStyle: { color: COLORS.exposure }, data: groups.map((g) => share(g.exposureShare)), label: SHARE_LABEL },
        { name: t.chartMeritShare, type: 'bar', barMaxWidth: 30, itemStyle: { color: COLORS.merit }, data: groups.map((g) => share(g.meritShare)), label: SHARE_LABEL },
      ],
    },
    prefix,
  );
}

// ---- sections ----

const yesNo = (t: Labels, b: boolean | null): string => (b === null ? DASH : b ? t.yes : t.no);

/** A metric's value, and its difference (signed: percentage points, or yuan). */
function metricValue(metric: SegmentMetric, v: number | null): string {
  if (metric === 'meanPrice') return yuan(v);
  return pct(v, metric === 'ctr' || metric === 'conversion' ? 2 : 1);
}
function metricDifference(t: Labels, metric: SegmentMetric, d: number | null): string {
  if (!finite(d)) return DASH;
  if (metric === 'meanPrice') return signed(d, (a) => `¥${grouped(a, 2)}`);
  return `${signed(d * 100, (a) => a.toFixed(2))} ${t.pp}`;
}
const interval = (t: Labels, metric: SegmentMetric, ci: readonly [number, number] | null): string =>
  ci === null ? DASH : `[${metricDifference(t, metric, ci[0])}, ${metricDifference(t, metric, ci[1])}]`;

function groupsTable(t: Labels, s: SegmentAudit, minSize: number): string {
  const rows: Row[] = s.groups.map((g: SegmentGroupRow) => {
    const name = g.group === s.reference ? `${groupNameAndValue(t, s.attribute, g.group)} (${t.referenceMark})` : groupNameAndValue(t, s.attribute, g.group);
    const viewers = fig(int(g.viewers));
    if (g.suppressed) return { cls: 'suppressed', cells: [name, viewers, fig(int(g.impressions)), { text: t.suppressed(minSize), span: t.groupCols.length - 3, cls: 'note' }] };
    return {
      cls: g.group === s.reference ? 'ref' : undefined,
      cells: [
        name,
        viewers,
        fig(int(g.impressions)),
        fig(pct(g.premiumRate)),
        fig(pct(g.premiumShare)),
        fig(pct(g.ctr, 2)),
        fig(pct(g.conversion, 2)),
        fig(yuan(g.meanPrice)),
        fig(pct(g.meanDiscount)),
        fig(pct(g.tpr)),
        fig(pct(g.fpr)),
        fig(pct(g.fnr)),
        fig(pct(g.fdr)),
        fig(pct(g.for)),
      ],
    };
  });
  return table(t.groupCols, rows, t.groupsTable);
}

function gapsTable(t: Labels, attribute: SegmentAttribute, gaps: readonly SegmentGap[]): string {
  if (gaps.length === 0) return `<p class="muted">${escapeHtml(t.noGaps)}</p>`;
  const rows: Row[] = gaps.map((g) => ({
    cls: g.flagged ? 'flagged' : undefined,
    cells: [
      groupName(t, attribute, g.group),
      t.metrics[g.metric],
      fig(metricValue(g.metric, g.value)),
      fig(metricValue(g.metric, g.referenceValue)),
      fig(metricDifference(t, g.metric, g.difference)),
      fig(num(g.ratio, 2)),
      fig(interval(t, g.metric, g.ci95)),
      fig(pValue(g.pValue)),
      fig(pValue(g.pAdjusted)),
      yesNo(t, g.fair),
      g.flagged ? t.flaggedMark : t.no,
    ],
  }));
  return table(t.gapCols, rows, t.gapsTable);
}

function segmentSection(t: Labels, s: SegmentAudit, minSize: number, chartId: () => string): string {
  const note = s.status === 'ok' ? '' : s.status === 'too_few' ? t.status.too_few(minSize) : t.status[s.status];
  const parts = [
    `<section class="segment" id="segment-${s.attribute}">`,
    `<h3>${escapeHtml(t.attributes[s.attribute])} <span class="muted">(${escapeHtml(s.attribute)})</span></h3>`,
    note ? `<p class="status">${escapeHtml(note)}</p>` : '',
    facts([
      [t.recorded, int(s.recorded)],
      [t.missing, int(s.missing)],
      [t.reference, s.reference === null ? DASH : groupNameAndValue(t, s.attribute, s.reference)],
    ]),
  ];
  if (s.groups.length > 0) parts.push(groupsTable(t, s, minSize));
  if (s.status === 'ok') {
    parts.push(segmentChart(t, s, chartId()));
    parts.push(gapsTable(t, s.attribute, s.gaps));
    if (s.signed.length > 0) {
      parts.push(
        table(
          t.signedCols,
          s.signed.map((x) => ({
            cells: [groupName(t, s.attribute, x.group), fig(num(x.statisticalParityDifference)), fig(num(x.disparateImpact)), fig(num(x.equalOpportunityDifference)), fig(num(x.averageOddsDifference))],
          })),
          t.signedTable,
        ),
      );
    }
    const summaryKeys = Object.keys(t.summary) as (keyof SegmentAudit['summary'])[];
    parts.push(table([t.index, t.value], summaryKeys.map((k) => ({ cells: [t.summary[k], fig(num(s.summary[k]))] })), t.summaryTable));
  }
  parts.push('</section>');
  return parts.filter(Boolean).join('\n');
}

function exposureSection(t: Labels, e: ExposureSection, chartId: () => string): string {
  const parts = [
    facts([
      [t.lists, int(e.lists)],
      [t.productsShown, int(e.productsShown)],
      [t.catalogueSize, int(e.catalogueSize)],
      [t.coverage, pct(e.coverage)],
      [t.gini, num(e.gini)],
      [t.exposureGini, num(e.exposureGini)],
    ]),
  ];
  for (const g of e.groupings) {
    parts.push(`<h3>${escapeHtml(t.groupings[g.grouping])} <span class="muted">(${escapeHtml(g.grouping)})</span></h3>`);
    if (g.groups.length === 0) {
      parts.push(`<p class="muted">${escapeHtml(t.noProducts)}</p>`);
      continue;
    }
    parts.push(`<p>${escapeHtml(t.minMaxRatio)}${escapeHtml(t.colon)}${escapeHtml(num(g.minMaxRatio))}</p>`);
    parts.push(
      table(
        t.productCols,
        g.groups.map((x) => ({
          cls: x.flagged ? 'flagged' : undefined,
          cells: [
            groupNameAndValue(t, g.grouping, x.group),
            fig(int(x.products)),
            fig(int(x.impressions)),
            fig(num(x.meanExposure)),
            fig(pct(x.exposureShare)),
            fig(pct(x.merit, 2)),
            fig(pct(x.meritShare)),
            fig(num(x.exposurePerMerit, 2)),
            fig(x.ci95 ? `[${num(x.ci95[0], 2)}, ${num(x.ci95[1], 2)}]` : DASH),
            fig(pValue(x.pAdjusted)),
            yesNo(t, x.fair),
            x.flagged ? t.flaggedMark : t.no,
          ],
        })),
      ),
    );
    parts.push(exposureChart(t, g.grouping, g.groups, chartId()));
  }
  return parts.join('\n');
}

function thresholdValue(key: keyof AuditThresholds, v: number): string {
  if (!Number.isFinite(v)) return DASH;
  switch (key) {
    case 'ratio':
    case 'exposureBand':
      return v > 0 ? `${v} ([${v.toFixed(2)}, ${(1 / v).toFixed(2)}])` : String(v);
    case 'premiumQuantile':
      return `${v} (${pct(v, 0)})`;
    default:
      return String(v);
  }
}

const STYLE = `
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:1040px;padding:0 16px;color:#222;line-height:1.5}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:22px 0 6px}
.banner{background:#fff3cd;border:2px solid #e0a800;padding:10px 14px;font-weight:600;margin:12px 0 20px}
.flags{border:2px solid #c0392b;background:#fdecea;padding:10px 16px;margin:16px 0}.flags h2{border:0;margin:0 0 6px;color:#a93226}.flags li{margin:4px 0}
.noflags{border:2px solid #2e7d32;background:#e8f5e9;padding:10px 16px;margin:16px 0}.noflags strong{color:#1b5e20;font-size:16px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4;word-break:keep-all}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}caption{text-align:left;font-weight:600;padding:4px 0}
table.facts th{font-weight:normal;background:#fafafa}tr.flagged td{background:#fdecea;font-weight:600}tr.ref td{background:#f3f7fc}
tr.suppressed td.note{color:#666;font-style:italic}.scroll{overflow-x:auto}.muted{color:#666}.status{color:#8a6d3b;font-weight:600}
.chart{margin:12px 0}.chart svg{max-width:100%;height:auto}footer{margin-top:36px;border-top:1px solid #ddd;padding-top:8px;font-size:13px;color:#444}
`;

/** The HTML page of an audit report. */
export function renderAuditHtml(report: FairnessReport, options: { locale: ReportLocale }): string {
  const t = options.locale === 'en' ? EN : ZH;
  const zh = options.locale !== 'en';
  const th = report.thresholds;
  const minSize = th.minGroupSize.value;
  let charts = 0;
  const chartId = () => `fa${charts++}`;
  const title = `${report.simulated ? `[${t.simulatedTitle}] ` : ''}${t.title} — ${report.id}`;

  const header = facts([
    [t.auditId, report.id],
    [t.trigger, t.triggers[report.trigger] ?? report.trigger],
    [t.brand, report.scope.brandId],
    [t.session, report.scope.sessionId ?? t.allSessions],
    [t.from, chinaTime(report.scope.from)],
    [t.until, chinaTime(report.scope.until)],
    [t.createdAt, chinaTime(report.createdAt)],
    [t.decisions, int(report.decisions)],
    [t.lists, int(report.lists)],
    [t.personalisedShare, pct(report.personalisedShare)],
    [t.keepUntil, t.keepText(chinaTime(report.keepUntil))],
  ]);

  const flags =
    report.flags.length > 0
      ? `<section class="flags" id="flags"><h2>${escapeHtml(t.flagsCount(report.flags.length))}</h2><ul>\n${report.flags.map((f) => `<li>${escapeHtml(zh ? f.text.zh : f.text.en)}</li>`).join('\n')}\n</ul></section>`
      : `<section class="noflags" id="flags"><strong>${escapeHtml(t.noFlags)}</strong><p>${escapeHtml(t.noFlagsText)}</p></section>`;

  const d = report.definitions;
  const m = report.method;
  const thresholdKeys = Object.keys(t.thresholdNames) as (keyof AuditThresholds)[];
  const method = [
    `<h3>${escapeHtml(t.definitions)}</h3>`,
    facts([
      [t.premiumFrom, d.premiumFromFen === null ? DASH : yuan(d.premiumFromFen / 100)],
      [t.selection, d.selection],
      [t.label, d.label],
    ]),
    `<h3>${escapeHtml(t.method)}</h3>`,
    facts([
      [t.bootstrap, int(m.bootstrap)],
      [t.seed, String(m.seed)],
      [t.tests, m.tests],
      [t.correction, m.correction],
    ]),
    table(
      [t.threshold, t.value, t.reason],
      thresholdKeys.map((k) => ({ cells: [t.thresholdNames[k], fig(thresholdValue(k, th[k].value)), th[k].reason] })),
      t.thresholds,
    ),
  ].join('\n');

  const segments = report.segments.map((s) => segmentSection(t, s, minSize, chartId)).join('\n');
  const exposure = exposureSection(t, report.exposure, chartId);
  const mg = report.mitigation;
  const mitigation = !mg
    ? `<p class="muted">${escapeHtml(t.mitigationOff)}</p>`
    : [
        `<p>${escapeHtml(t.mitigationIntro)}</p>`,
        facts([
          [t.mitigationFacts.applied, int(mg.lists.applied)],
          [t.mitigationFacts.changed, int(mg.lists.changed)],
          [t.mitigationFacts.holdout, int(mg.lists.holdout)],
          [t.mitigationFacts.ctrApplied, pct(mg.ctr.applied, 2)],
          [t.mitigationFacts.ctrHoldout, pct(mg.ctr.holdout, 2)],
          [t.mitigationFacts.difference, mg.ctr.difference === null ? DASH : `${mg.ctr.difference < 0 ? '−' : '+'}${Math.abs(mg.ctr.difference * 100).toFixed(2)} pp`],
          [t.mitigationFacts.ci, mg.ctr.ci95 ? `[${(mg.ctr.ci95[0] * 100).toFixed(2)}, ${(mg.ctr.ci95[1] * 100).toFixed(2)}] pp` : DASH],
          [t.mitigationFacts.p, pValue(mg.ctr.pValue)],
        ]),
        table(
          t.mitigationCols,
          mg.exposure.map((x) => ({
            cells: [
              t.groupings[x.grouping],
              fig(num(x.appliedDistance, 3)),
              fig(num(x.holdoutDistance, 3)),
              fig(num(x.appliedWorst, 2)),
              fig(num(x.holdoutWorst, 2)),
              fig(int(x.appliedOutsideBand)),
              fig(int(x.holdoutOutsideBand)),
            ],
          })),
        ),
      ].join('\n');
  const band = (v: number) => (v > 0 && Number.isFinite(v) ? `${v.toFixed(2)}, ${(1 / v).toFixed(2)}` : String(v));
  const how = t.how({ ratio: band(th.ratio.value), alpha: String(th.alpha.value), minSize: String(minSize), band: band(th.exposureBand.value) });

  return `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(t.title)}</h1>
${report.simulated ? `<div class="banner" role="note">${escapeHtml(t.simulatedBanner)} — ${escapeHtml(t.simulatedText)}</div>` : ''}
${header}
${flags}
<h2>${escapeHtml(t.methodTitle)}</h2>
${method}
<h2>${escapeHtml(t.segmentsTitle)}</h2>
<p>${escapeHtml(t.segmentsIntro)}</p>
${segments}
<h2>${escapeHtml(t.exposureTitle)}</h2>
${exposure}
<h2>${escapeHtml(t.mitigationTitle)}</h2>
${mitigation}
<footer>
<h2>${escapeHtml(t.howTitle)}</h2>
<p>${escapeHtml(how)}</p>
</footer>
</body>
</html>
`;
}
