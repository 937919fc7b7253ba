/**
 * The data map: every kind of record Qingliu stores, where, whether it is personal, how it is
 * protected and how long it is kept. The retention schedule (retention.ts) is the source of the
 * periods the job enforces; this map describes them and everything kept "while needed". The
 * compliance console, the processing-rules page and docs/data-map.md all show this one table
 * (a test keeps the doc in step).
 */
export type Protection = 'sealed' | 'keyed-ids' | 'hashed' | 'none';

/** What a description of when records go may depend on: the running configuration and schedule. */
export interface KeptFacts {
  /** How long a staff sign-in lasts (QINGLIU_STAFF_SESSION_HOURS). */
  staffSessionHours: number;
  /** A retention category's period in the schedule the job enforces; undefined when it has none. */
  keepDays(retentionCategory: string): number | undefined;
}

export interface DataMapEntry {
  /** The entry's identifier (English, stable; docs/data-map.md lists it). */
  category: string;
  /** What people read as its name. */
  name: { zh: string; en: string };
  tables: readonly string[];
  personal: boolean;
  /** How personal values are protected at rest. */
  protection: Protection;
  what: { zh: string; en: string };
  /**
   * A retention category in the schedule, a description of when it goes, or one built from the
   * running configuration (for records with more than one period).
   */
  kept: { retentionCategory: string } | { zh: string; en: string } | { describe: (facts: KeptFacts) => { zh: string; en: string } };
}

/** When an entry's records go, in both languages, for one not kept by a single retention category's period. */
export function keptNote(kept: Exclude<DataMapEntry['kept'], { retentionCategory: string }>, facts: KeptFacts): { zh: string; en: string } {
  return 'describe' in kept ? kept.describe(facts) : kept;
}

const hours = (n: number) => ({ zh: `${n} 小时`, en: n === 1 ? '1 hour' : `${n} hours` });
const days = (n: number) => ({ zh: `${n} 天`, en: n === 1 ? '1 day' : `${n} days` });

/**
 * Staff accounts stay; their sign-in sessions go at sign-out, or expire after the configured hours
 * and are deleted by the retention job (`staff_sign_ins`) that many days after expiring.
 */
function staffAccountsKept(f: KeptFacts): { zh: string; en: string } {
  const h = hours(f.staffSessionHours);
  const after = f.keepDays('staff_sign_ins');
  const d = after === undefined ? undefined : days(after);
  return {
    zh: `账号：业务需要期间（不会自动删除）；登录会话：退出登录时删除，否则 ${h.zh}后失效，${d ? `失效 ${d.zh}后删除` : '失效后删除'}`,
    en: `Accounts: while the business needs them (never deleted automatically); sign-in sessions: deleted at sign-out, or expire after ${h.en} and are deleted ${d ? `${d.en} later` : 'after that'}`,
  };
}

export const DATA_MAP: readonly DataMapEntry[] = [
  {
    category: 'personal events',
    name: { zh: '个性化行为事件', en: 'Personal behaviour events' },
    tables: ['viewer_events'],
    personal: true,
    protection: 'sealed',
    what: { zh: '在同意“个性化推荐”后记录的浏览、点击、加购、购买事件', en: 'Views, clicks, add-to-cart and purchases stored under the personalised-recommendations consent' },
    kept: { retentionCategory: 'viewer_events' },
  },
  {
    category: 'feedback',
    name: { zh: '反馈事件', en: 'Feedback events' },
    tables: ['viewer_events'],
    personal: true,
    protection: 'sealed',
    what: { zh: '在同意“用反馈改进模型”后记录的点赞、点踩、不感兴趣', en: 'Likes, dislikes and "not interested" stored under the model-improvement consent' },
    kept: { retentionCategory: 'viewer_feedback' },
  },
  {
    category: 'interest tags',
    name: { zh: '兴趣标签', en: 'Interest tags' },
    tables: ['viewer_tags'],
    personal: true,
    protection: 'sealed',
    what: { zh: '由上述事件推导的兴趣标签及您删除标签的时间', en: 'Interest tags derived from those events, and when you deleted any' },
    kept: { zh: '撤回同意或删除数据时立即删除；随事件过期重新计算', en: 'Deleted at once on withdrawal or erasure; recomputed as events expire' },
  },
  {
    category: 'viewer profile',
    name: { zh: '观众资料', en: 'Viewer profile' },
    tables: ['viewer_profiles', 'minor_spend'],
    personal: true,
    protection: 'sealed',
    what: {
      zh: '声明的年龄段、宝宝月龄段（自愿填写）、城市级别（自愿填写，仅用于公平性检查）、个性化推荐开关、未成年人每月消费额',
      en: 'Declared age band, your child’s age band (if you gave it), your city tier (if you gave it; used only for fairness checks), the personalisation switch, a minor’s monthly spend',
    },
    kept: { zh: '删除数据时删除', en: 'Until you erase your data' },
  },
  {
    category: 'guardian consent',
    name: { zh: '监护人同意', en: 'Guardian consents' },
    tables: ['guardian_consents', 'guardian_requests'],
    personal: true,
    protection: 'sealed',
    what: { zh: '监护人对未满十四周岁用户的单独同意；监护人链接只保存哈希', en: 'A guardian’s separate consent for a child under 14; guardian links kept only as hashes' },
    kept: { retentionCategory: 'guardian_consents' },
  },
  {
    category: 'consent records',
    name: { zh: '同意记录', en: 'Consent records' },
    tables: ['consent_records'],
    personal: true,
    protection: 'keyed-ids',
    what: { zh: '每次同意、拒绝与撤回的记录，含告知版本与原文哈希', en: 'Every grant, refusal and withdrawal, with the notice version and the hash of its text' },
    kept: { retentionCategory: 'consent_records' },
  },
  {
    category: 'notice texts',
    name: { zh: '告知原文存档', en: 'Notice texts' },
    tables: ['notice_texts'],
    personal: false,
    protection: 'none',
    what: {
      zh: '每条同意记录所依据的告知原文（个人信息处理说明、监护人告知、出境单独告知），按原文哈希保存，使记录能按作出决定的人当时看到的文字查看（存档启用前的记录除外）',
      en: 'The exact text of each notice a decision was made on (privacy notice, guardian notice, separate cross-border notice), kept by its hash, so a record can be shown with the words the person deciding read (records made before the archive existed excepted)',
    },
    kept: { retentionCategory: 'notice_texts' },
  },
  {
    category: 'rights requests',
    name: { zh: '权利请求工单', en: 'Rights request tickets' },
    tables: ['rights_tickets'],
    personal: true,
    protection: 'sealed',
    what: { zh: '查阅、更正、删除等请求工单；请求内容加密', en: 'Access, correction and deletion request tickets; their text sealed' },
    kept: { retentionCategory: 'rights_tickets' },
  },
  {
    category: 'data keys and pseudonyms',
    name: { zh: '数据密钥与假名', en: 'Data keys and pseudonyms' },
    tables: ['data_keys', 'data_key_tombstones', 'pseudonyms', 'protection_meta'],
    personal: true,
    protection: 'sealed',
    what: { zh: '每位观众的数据密钥（仅以包装形式保存）与设备标识↔假名映射（设备标识加密）', en: 'Each viewer’s data key (wrapped only) and the device id ↔ pseudonym mapping (device ids sealed)' },
    kept: { zh: '删除数据时销毁（加密擦除）', en: 'Destroyed on erasure (crypto-shredding)' },
  },
  {
    category: 'access log',
    name: { zh: '访问日志', en: 'Access log' },
    tables: ['access_log_entries', 'access_log_head', 'access_log_checkpoints', 'access_log_nodes', 'access_log_retention', 'access_log_verifications'],
    personal: true,
    protection: 'keyed-ids',
    what: { zh: '员工对个人信息的每次读取、导出与删除，防篡改', en: 'Every staff read, export and deletion of personal data, tamper-evident' },
    kept: { retentionCategory: 'access_log' },
  },
  {
    category: 'cross-border transfers',
    name: { zh: '个人信息出境', en: 'Transfers out of the region' },
    tables: ['transfer_destinations', 'transfer_bases', 'transfer_changes', 'transfer_consents', 'transfer_log', 'transfer_individuals', 'transfer_year_totals', 'transfer_alerts'],
    personal: true,
    protection: 'keyed-ids',
    what: {
      zh: '境外接收方及其合法依据、每位观众对出境的单独同意、出境调用记录（仅计数）与本年度出境人数',
      en: "Recipients outside the region and their legal bases, each viewer's separate consent to a transfer, the transfer log (counts only) and this year's count of individuals",
    },
    kept: { retentionCategory: 'cross_border_records' },
  },
  {
    category: 'recommendations',
    name: { zh: '推荐记录与模型', en: 'Recommendations and the model' },
    tables: ['recommendation_decisions', 'recommendation_feedback', 'model_snapshots', 'model_updates'],
    personal: false,
    protection: 'none',
    what: {
      zh: '展示过的推荐及其结果（不含观众身份，只含商品与直播间特征、所见价格、该列表的粗粒度分组：孩子年龄段、城市级别、设备类型、新老访客，以及本场直播内的观众标签：用只保存在内存、直播结束即丢弃的密钥算出，之后无法对应到任何人；用于公平性审计）、模型快照与之后的更新（数字，以及按孩子年龄段与品类汇总的计数，不含任何人）',
      en: 'Recommendations shown and their outcomes (no viewer identity: product and room features, the price seen, the list’s coarse segments — child age band, city tier, device type, new or returning — and a per-show viewer label made with a key held in memory only and dropped when the show ends, after which it leads to no one; for fairness audits), model snapshots and the updates since (numbers, and counts per child age band and category, of no one)',
    },
    kept: { retentionCategory: 'recommendation_log' },
  },
  {
    category: 'fairness audits',
    name: { zh: '公平性审计', en: 'Fairness audits' },
    tables: ['fairness_audits', 'fairness_alerts'],
    personal: false,
    protection: 'none',
    what: {
      zh: '公平性审计报告与直播中的提醒：只有汇总数字，人数过少的分组只报人数',
      en: 'Fairness audit reports and live alerts: aggregates only; groups below the minimum size are reported by size alone',
    },
    kept: { retentionCategory: 'fairness_audits' },
  },
  {
    category: 'energy samples',
    name: { zh: '能耗计量样本', en: 'Energy samples' },
    tables: ['energy_samples', 'energy_session_samples'],
    personal: false,
    protection: 'none',
    what: {
      zh: '能耗计量样本：每个节点每个时段各组件的 CPU 时间、占用内存与完成的工作量（如推荐次数），以及各场直播所占份额；不涉及任何观众',
      en: "Energy meter samples: each node's CPU time per component, memory held and work done (such as recommendations served) per period, and each live session's share; nothing about any viewer",
    },
    kept: { retentionCategory: 'energy_samples' },
  },
  {
    category: 'experiment units',
    name: { zh: '实验观众计数', en: 'Per-viewer experiment counts' },
    tables: ['experiment_units'],
    personal: true,
    protection: 'keyed-ids',
    what: {
      zh: '推荐对比实验中每位同意个性化推荐的观众一行：实验专属密钥下的哈希（不是设备号或假名）、组别及请求、曝光、点击、加购、下单次数',
      en: 'One row per viewer with the personalised-recommendations consent in a recommendation experiment: a hash under the experiment’s own key (not a device id or pseudonym), the arm, and counts of requests, impressions, clicks, add-to-carts and orders',
    },
    kept: { retentionCategory: 'experiment_units' },
  },
  {
    category: 'chat messages',
    name: { zh: '聊天消息', en: 'Chat messages' },
    tables: ['chat_messages'],
    personal: true,
    protection: 'sealed',
    what: {
      zh: '直播间聊天：观众的消息和昵称（以观众自己的密钥加密）、主播与管理员的消息、购物助手的回答（标注 AI 生成）',
      en: "Live-room chat: viewers' messages and nicknames (sealed under each viewer's key), staff messages, and the shopping assistant's answers (labelled AI-generated)",
    },
    kept: { retentionCategory: 'chat_messages' },
  },
  {
    category: 'chat moderation',
    name: { zh: '聊天管理', en: 'Chat moderation' },
    tables: ['chat_moderation_log', 'chat_bans', 'chat_rooms'],
    personal: true,
    protection: 'keyed-ids',
    what: {
      zh: '聊天管理：每次删除、隐藏、封禁、禁言、置顶、慢速模式与关键词变更（哈希链，只增不改），封禁名单（观众假名与加密的昵称），各直播间的设置',
      en: "Chat moderation: every deletion, hiding, ban, shadow-ban, pin, slow-mode and keyword change (a hash chain, append-only), the ban list (the viewer's pseudonym and sealed nickname), each room's settings",
    },
    kept: { retentionCategory: 'chat_moderation_log' },
  },
  {
    category: 'questions to the host',
    name: { zh: '转交主播的问题', en: 'Questions handed to the host' },
    tables: ['assistant_handoffs'],
    personal: true,
    protection: 'sealed',
    what: {
      zh: '购物助手转给主播的问题（观众要求人工，或助手没有把握），以观众自己的密钥加密',
      en: "Questions the shopping assistant passed to the host (the viewer asked for a person, or it was unsure), sealed under the viewer's key",
    },
    kept: { retentionCategory: 'assistant_handoffs' },
  },
  {
    category: 'assistant memory',
    name: { zh: '购物助手记忆', en: 'Assistant memory' },
    tables: ['assistant_memory'],
    personal: true,
    protection: 'sealed',
    what: {
      zh: '仅在您同意“购物助手记忆”时跨场保留：您问过哪些商品、问了什么方面（不保存原话），以您的密钥加密',
      en: 'Kept across shows only under the assistant-memory consent: which products you asked about and about what (not your words), sealed under your key',
    },
    kept: { retentionCategory: 'assistant_memory' },
  },
  {
    category: 'assistant show memory',
    name: { zh: '购物助手本场记忆', en: 'Assistant memory of this show' },
    tables: ['assistant_session_memory'],
    personal: true,
    protection: 'sealed',
    what: {
      zh: '本场直播中您问过哪些商品、问了什么方面（不保存原话），以您的密钥加密，直播结束即删除；无需同意',
      en: 'Which products you asked about in this show and about what (not your words), sealed under your key and deleted when the show ends; no consent needed',
    },
    kept: { retentionCategory: 'assistant_session_memory' },
  },
  {
    category: 'experiments',
    name: { zh: '实验设置与结果', en: 'Experiment set-ups and results' },
    tables: ['experiments', 'experiment_arm_totals', 'experiment_looks'],
    personal: false,
    protection: 'none',
    what: {
      zh: '实验定义、每组合计（含未同意观众的匿名合计）与每次计划分析的结果',
      en: 'Experiment definitions, totals per arm (with the anonymous totals of viewers outside the comparison) and the result of every scheduled analysis',
    },
    kept: { zh: '业务需要期间', en: 'While the business needs them' },
  },
  {
    category: 'orders',
    name: { zh: '订单', en: 'Orders' },
    tables: ['orders'],
    personal: false,
    protection: 'none',
    what: { zh: '订单（直播间、商品、数量、价格、回放时间），不含观众身份', en: 'Orders (room, product, quantity, price, replay time), with no viewer identity' },
    kept: { retentionCategory: 'orders' },
  },
  {
    category: 'anonymous counts',
    name: { zh: '匿名计数', en: 'Anonymous counts' },
    tables: ['anonymous_event_counts', 'session_counters', 'room_events'],
    personal: false,
    protection: 'none',
    what: { zh: '未经同意时只做的匿名计数，以及直播间计数器', en: 'Counts kept without any identity when there is no consent, and the room counters' },
    kept: { retentionCategory: 'room_events' },
  },
  {
    category: 'staff accounts',
    name: { zh: '员工账号与登录会话', en: 'Staff accounts and sign-in sessions' },
    tables: ['staff_users', 'staff_sessions'],
    personal: true,
    protection: 'hashed',
    what: { zh: '员工账号：用户名、角色、scrypt 密码哈希、登录令牌哈希', en: 'Staff accounts: name, role, scrypt password hash, sign-in token hashes' },
    kept: { describe: staffAccountsKept },
  },
  {
    category: 'catalogue and live sessions',
    name: { zh: '商品与直播场次', en: 'Catalogue and live sessions' },
    tables: ['brands', 'products', 'faqs', 'live_sessions', 'session_products', 'flash_sales'],
    personal: false,
    protection: 'none',
    what: { zh: '品牌、商品、问答、直播场次与秒杀：业务数据', en: 'Brands, products, FAQ, live sessions and flash sales: business data' },
    kept: { zh: '业务需要期间', en: 'While the business needs them' },
  },
];
