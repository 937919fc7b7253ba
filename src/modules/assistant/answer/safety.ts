/**
 * What the assistant must not answer, checked before retrieval so that a pinned product never pulls
 * it into answering: requests for a person (handoff), prompt injections, personal data, medical and
 * safety advice, personal prices and bargaining, competitors, and topics outside the shop (declined).
 *
 * Each rule is a class of phrases, not a list of known questions: "ignore … rules/instructions",
 * "身份证 / an 18-digit number", a symptom with a request for treatment, "便宜点 / knock … off" …
 * Rules are tried in order and the first that matches decides; the order puts the more serious
 * class first (an injection that also asks for a person is an injection). The text is NFKC-folded
 * and lower-cased first, so full-width and capitalised variants match too.
 *
 * The replies are fixed, polite texts in the viewer's language; they never echo the question (it
 * may hold an ID number or a competitor's price).
 */
import { normalise } from '../retrieval/index.js';
import type { AnswerLocale, AnswerReason } from './types.js';

export type SafetyClass =
  | 'injection'
  | 'personal_data'
  | 'medical'
  | 'safety_advice'
  | 'guarantee'
  | 'person'
  | 'competitor'
  | 'bargaining'
  | 'internal_price'
  | 'off_topic';

export interface Screening {
  outcome: 'handoff' | 'declined';
  reason: AnswerReason;
  class: SafetyClass;
}

interface Rule {
  class: SafetyClass;
  outcome: Screening['outcome'];
  reason: AnswerReason;
  /** Any of these matches… */
  any: readonly RegExp[];
  /** …unless one of these does (e.g. the shop's own hotline is not personal data). */
  unless?: readonly RegExp[];
}

const NUM_ZH = '[\\d一二两三四五六七八九十百千]';

const RULES: readonly Rule[] = [
  {
    class: 'injection',
    outcome: 'declined',
    reason: 'unsafe',
    any: [
      /(忽略|无视|忘掉|忘记|跳过).{0,10}(规则|指令|设定|提示|要求|限制|约束)/u,
      /(系统|隐藏|初始)?提示词|系统指令|开发者模式|调试模式|越狱|解除限制|不受限制/u,
      /你现在是(?!.{0,4}(客服|主播))|扮演.{0,8}(没有限制|不受)/u,
      /\b(ignore|disregard|forget|bypass|override)\b.{0,30}\b(rules?|instructions?|prompts?|guidelines|restrictions|polic(y|ies)|programming)\b/u,
      /\b(system|hidden|initial|secret)\s+(prompt|instructions?|rules)\b|\bdeveloper mode\b|\bjailbreak|\bdan mode\b/u,
      /\byou are now\b|\bunrestricted\b|^\s*system\s*:|\bpretend (you are|to be)\b|\bact as (an? )?(unrestricted|different|new)\b/u,
      /\b(print|reveal|show|repeat|tell me) (me )?your (instructions|prompt|rules|system)/u,
    ],
  },
  {
    // ID numbers, phones, addresses, card numbers: never asked for, never looked up, never echoed.
    class: 'personal_data',
    outcome: 'declined',
    reason: 'sensitive',
    any: [
      /身份证|证件号|护照号?|社保号|银行卡|信用卡|卡号|密码|验证码/u,
      /(?<!\d)\d{17}[\dx](?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{16,19}(?!\d)/u,
      /手机号|电话号码|私人电话|个人电话|联系方式|微信号/u,
      /(我|你|他|她|主播|你们主播)(家|的)?(的)?(家庭|收货)?(地址|住址).{0,6}(念|读|告诉|查|是多少|是什么|是啥|在哪|多少)|(念|读|告诉我|查一?下|说一?下).{0,6}(地址|住址)|住哪|住在哪|家在哪/u,
      /\b(id|identity|identification|passport|social security|ssn|bank|credit card|debit card|card)\s*(number|no\.?|#)|\bpassword\b|\bverification code\b|\bcvv\b/u,
      /\b(phone|mobile|cell|whatsapp|wechat|telephone)\s*(number|no\.?|#|id)\b/u,
      /\b(home|house|personal)\s+address\b|\baddress\b.{0,20}\bon file\b|\b(what|which|tell me|read|show)\b.{0,25}\baddress\b.{0,25}\b(for me|of mine|you have|do you have)\b|\bwhere (does|do) .{0,25}\blive\b|'s address\b/u,
    ],
    unless: [/客服|热线|售后|customer service|hotline|support line|service line/u],
  },
  {
    // Symptoms, illness and treatment: the assistant is no doctor. Product FAQs that mention a
    // doctor are fine to quote, but a viewer's question about their baby's health is not answered.
    class: 'medical',
    outcome: 'declined',
    reason: 'unsafe',
    any: [
      /吃什么药|用什么药|吃药|用药|喂药|退烧药|感冒药|消炎药|抗生素|布洛芬|对乙酰氨基酚|美林|泰诺林|治疗|治好|能治|治吗|治愈|去医院|看医生|就医|挂号|诊断|催吐|误食|误吞|中毒/u,
      /(发烧|发热|高烧|低烧|咳嗽|感冒|流鼻涕|腹泻|拉肚子|呕吐|便秘|黄疸|湿疹|皮疹|疹子|过敏|哮喘|抽搐|惊厥|肺炎|新冠|手足口|中耳炎|生病|病了).{0,12}(怎么办|要不要|要紧|严重|吗|呢|能用|可以用|该|咋办)/u,
      /(吃|喝|吞|舔)了(一口|一点|一些|点|几口|进去).{0,10}(怎么办|要紧|没事|吗|呢)/u,
      // Which medicine to give is advice; whether the first-aid kit holds medicines is a product question.
      /\b(what|which|how much|can i|should i|give|take)\b.{0,30}\b(medicine|medication|meds|drugs?)\b|\b(dose|dosage|paracetamol|acetaminophen|ibuprofen|tylenol|calpol|antibiotics?|antihistamines?)\b/u,
      /\b(cure|heal|diagnose|diagnosis)\b|\btreat(s|ment)?\b(?! (yourself|your baby to))/u,
      /\b(covid|coronavirus|flu|influenza|pneumonia|rsv|measles|jaundice|asthma|seizures?|convulsions?|eczema|dermatitis)\b/u,
      // Pregnancy and breastfeeding: whether a product suits the mother is a question for her doctor.
      /孕妇|孕期|怀孕|备孕|哺乳期|月子|\bpregnan\w*|\bbreast-?feeding (mum|mom|mother)s?\b|\bnursing (mum|mom|mother)s?\b/u,
      /\b(fever|high temperature|temperature of \d|cough(ing)?|rash|vomit(ing)?|diarrh(o)?ea|constipat\w*|allerg\w*|sick|ill|infection|choking)\b.{0,40}\b(what (do|should|can) i|should i|do i need|is (it|that|this) (serious|bad|normal|dangerous|ok|okay)|help|doctor|hospital|give)\b/u,
      /\b(swallowed|ate|eaten|licked|drank)\b.{0,30}\b(what (do|should) i|is it (ok|safe|dangerous|poisonous)|poison)/u,
      /\b(doctor|hospital|emergency room|paediatrician|pediatrician)\b/u,
      // Feeding a baby a food or drink is dietary advice ("can I give my newborn honey water").
      /\b(give|feed)\b.{0,25}\b(honey|juice|tea|coffee|cow'?s milk|salt|sugar|alcohol|nuts?|peanuts?|eggs?)\b/u,
      /(给|喂).{0,8}(吃|喝).{0,6}(蜂蜜|果汁|茶|咖啡|盐|糖|坚果|花生|鸡蛋|牛奶)|蜂蜜水/u,
    ],
  },
  {
    // Safe sleep and similar safety judgements depend on the baby; the catalogue cannot vouch for them.
    class: 'safety_advice',
    outcome: 'declined',
    reason: 'unsafe',
    any: [
      /趴睡|趴着睡|俯卧|侧睡|同床睡/u,
      /\b(sleep|sleeps|sleeping|slept|nap|naps|napping|lie|lies|lying)\b.{0,25}\b(on (her|his|their|the|its|a) (tummy|stomach|front|side)|face ?down|prone)\b|\b(tummy|stomach|prone|side) sleep/u,
    ],
  },
  {
    // Promises of an outcome ("100% no rash") are claims no catalogue field supports.
    class: 'guarantee',
    outcome: 'declined',
    reason: 'unsafe',
    any: [
      /(能|可以|敢|你)保证|保证.{0,8}(不会|不得|不长|不红|没事|有效|治|好)|打包票|百分百|百分之百|100\s*%\s*(吗|不会|没问题|有效|安全)|绝对(不会|没问题|安全|有效)/u,
      /\bguarantee[sd]?\b(?! card)|\bpromise\b|\b100\s*%\s*(sure|safe|effective|guaranteed|works?)\b/u,
    ],
  },
  {
    class: 'person',
    outcome: 'handoff',
    reason: 'asked_for_person',
    any: [
      /(转|跟|和|找|要|接|叫|联系|换)人工|人工(客服|服务|坐席|回复|处理)|真人|活人|找客服|联系客服|叫客服|要客服|客服在吗|客服呢|有人吗|找(个)?人(来)?(处理|解决|说|聊|回复)|别.{0,2}机器人|不要机器人|负责人|经理|领导|老板|店长|主管|投诉|举报|维权|差评/u,
      /(东西|商品|货|买的).{0,6}(坏了|破了|漏了|有问题|不能用)|没收到货|收到.{0,4}(坏|破|错)|发错|漏发|少发/u,
      /\b(talk|speak|chat)\s+(to|with)\s+(a|an|the|some|your|real)?\s*(person|human|someone|agent|manager|supervisor|representative|rep|staff|host|people)\b/u,
      /\bhuman\b|\breal person\b|\blive agent\b|\b(want|need|get me|give me)\s+(an?\s+)?(agent|representative|manager|supervisor|person)\b/u,
      /\bcomplain\w*|\bbroken\b|\bdamaged\b|\bnever (arrived|came|got here)\b|\bdid ?n[o']?t (arrive|come)\b|\bnot received\b|\bwrong item\b|\bare you a (bot|robot)\b|\bstop (the )?bot\b|\bsomeone real\b|\b(boss|owner|manager)\b/u,
    ],
  },
  {
    // Other shops and brands: no price comparisons, no judgements of competitors.
    class: 'competitor',
    outcome: 'declined',
    reason: 'out_of_scope',
    any: [
      /京东|淘宝|天猫|拼多多|抖音商城|唯品会|苏宁|亚马逊|别家|别的店|其他店|其它店|别人家|外面(卖|买|的价)|竞品|帮宝适|花王|妙而舒|贝亲|新安怡|尤妮佳/u,
      /(其他|其它|别的)(品牌|牌子).{0,8}(比|便宜|贵|哪个好|哪家好|更好)/u,
      // "好奇" is also "curious": a competitor only beside a product word.
      /好奇(牌|的)?(纸尿裤|尿不湿|拉拉裤|湿巾|品牌)/u,
      /\b(taobao|tmall|jd|jd\.com|pinduoduo|pdd|amazon|walmart|costco|douyin|kuaishou)\b|\belsewhere\b|\bother (shops?|stores?|sellers?|sites?|websites?|platforms?)\b|\bcompetitors?\b/u,
      /\b(pampers|huggies|merries|moony|pigeon|avent|graco|chicco|cybex|bugaboo|stokke|mustela|aveeno|babycare)\b/u,
    ],
  },
  {
    // Personal prices and haggling: everyone in the room sees the same price.
    class: 'bargaining',
    outcome: 'declined',
    reason: 'personal_price',
    any: [
      // "便宜点 / 少二十块 / 能不能打折" ask for a price of one's own; "这个打折吗" (is it on sale) does not.
      new RegExp(`便宜(一?点|些|${NUM_ZH}+块?)|(?<!多)少(一?点|些|${NUM_ZH}+块)(吗|呗|嘛|啊)?`, 'u'),
      /(能|可以|能不能|可不可以|给我|再|帮我)(打个?折|便宜|优惠|少)|打个?[\d一二三四五六七八九]折/u,
      /单独.{0,8}(便宜|优惠|价|折)|专属.{0,2}(优惠|价|券|折扣)|优惠券|砍价|讲价|还价|议价|抹零|给我.{0,6}(便宜|优惠|折扣|价)|老(粉|客户|顾客).{0,8}(优惠|便宜|折|价|券)|会员价|vip价|粉丝价/u,
      new RegExp(`买${NUM_ZH}+.{0,6}(便宜|优惠|打折|送)`, 'u'),
      // Asking for extras is asking for a personal deal too.
      /(送|多送|再送|给|赠).{0,4}(赠品|礼物|小样|小礼品)|包邮.{0,6}送/u,
      /\bdiscount (code|coupon|for me|just for me)\b|\b(give|get|offer|send) me (a |an |some )?(special |better |extra |personal |private |vip |lower |cheaper )?(discount|deal|price|coupon|code)\b/u,
      /\bspecial (discount|price|deal|offer)\b|\bcoupons?\b|\bvip (price|discount|deal)\b|\bknock\b.{0,15}\boff\b|\b\d+\s*(% )?off\b/u,
      /\b(discount|deal|cheaper|off)\b.{0,20}\bif (i|we) (buy|get|order)\b|\bbuy (two|three|four|several|more|in bulk|\d+)\b.{0,20}\b(discount|deal|cheaper|off)\b/u,
      /\bcheaper (for me|if i)\b|\blower (the|your) price\b|\bprice match\b|\bmatch (their|the|this|that|his|her|a|your) price\b|\bbargain|\bhaggle|\bnegotiat\w*|\b(best|lowest|final) price for me\b/u,
    ],
  },
  {
    // Cost and wholesale prices are not catalogue data.
    class: 'internal_price',
    outcome: 'declined',
    reason: 'out_of_scope',
    any: [/进货价|成本价|拿货价|出厂价|批发价|底价|利润/u, /\b(cost price|wholesale|factory price|profit margin|markup|purchase price)\b/u],
  },
  {
    class: 'off_topic',
    outcome: 'declined',
    reason: 'out_of_scope',
    any: [
      /政治|政府|主席|总统|总理|选举|台湾问题|台独|新疆问题|西藏问题|香港问题|共产党|国民党|民主党|战争|打仗/u,
      /股市|股票|基金|比特币|炒股|彩票|汇率/u,
      /(今天|明天|后天|这周|周末|最近)(的)?天气|天气(怎么样|如何|预报)|会下雨/u,
      /作文|写一(篇|首|个|段)|写首|帮我写|诗歌|小说|作业|翻译|编程|写代码|讲个笑话|笑话|星座|算命|八卦|球赛|足球|篮球|电影|电视剧|新闻/u,
      /\bpolitic\w*|\bpresident\b|\belection\b|\bgovernment\b|\bprime minister\b|\bwar\b|\bdemocra\w*|\bcommunis\w*/u,
      /\bstock market\b|\bstocks? (price|market|tips)\b|\bshare price\b|\bbitcoin\b|\bcrypto\w*|\bexchange rate\b|\blottery\b/u,
      /\bweather (in|today|tomorrow|forecast|like)\b|\bforecast\b/u,
      /\bpoem\b|\bessay\b|\bstory\b|\bhomework\b|\bwrite (me|a|an|my)\b|\btranslate\b|\bprogramming\b|\bjoke\b|\bhoroscope\b|\bcelebrit\w*|\bfootball\b|\bsoccer\b|\bbasketball\b|\bmovie\b|\bnews\b/u,
    ],
  },
];

/** The first rule the question falls under, or undefined when it may be answered. */
export function screenQuestion(question: string): Screening | undefined {
  const text = normalise(question);
  for (const rule of RULES) {
    if (!rule.any.some((re) => re.test(text))) continue;
    if (rule.unless?.some((re) => re.test(text))) continue;
    return { outcome: rule.outcome, reason: rule.reason, class: rule.class };
  }
  return undefined;
}

type Reply = Readonly<Record<AnswerLocale, string>>;

const REPLIES: Readonly<Record<SafetyClass | 'low_confidence' | 'not_in_catalogue' | 'no_product', Reply>> = {
  person: {
    'zh-CN': '好的，这个问题我已经转给主播和客服了，请稍等，他们会尽快在这里回复您。',
    en: "Sure — I've passed this to the host and customer service; they'll reply to you here shortly.",
  },
  low_confidence: {
    'zh-CN': '这个问题我不太确定，先转给主播/客服为您确认，请稍等。',
    en: "I'm not sure about this one, so I've passed it to the host to confirm for you.",
  },
  no_product: {
    'zh-CN': '请问您问的是哪一款商品？这个问题我先转给主播/客服为您确认，请稍等。',
    en: "Which product do you mean? I've passed your question to the host to confirm for you.",
  },
  not_in_catalogue: {
    'zh-CN': '商品资料里没有这项信息，我先转给主播/客服为您确认，请稍等。',
    en: "The product information doesn't cover that, so I've passed it to the host to confirm for you.",
  },
  injection: {
    'zh-CN': '抱歉，我只能按店铺规则回答本直播间商品和服务相关的问题。',
    en: 'Sorry, I can only answer questions about the products and services in this live room, within the shop’s rules.',
  },
  personal_data: {
    'zh-CN': '为了保护您的隐私，请不要在直播间发送身份证号、手机号、地址等个人信息，我也不会询问或查看这些信息。订单相关的问题可以在订单页处理或联系客服。',
    en: "To protect your privacy, please don't share ID numbers, phone numbers or addresses in the live chat; I won't ask for or look up personal information. For order questions, please use the order page or customer service.",
  },
  medical: {
    'zh-CN': '抱歉，宝宝健康、用药和饮食方面的问题我无法给出建议，请咨询医生；如果情况紧急，请立即就医。',
    en: "Sorry, I can't give advice on your baby's health, medicine or diet. Please ask a doctor, and seek medical help right away if it's urgent.",
  },
  safety_advice: {
    'zh-CN': '抱歉，宝宝睡眠等安全问题需要结合宝宝的具体情况，我无法给出建议，请咨询医生或儿保医生。',
    en: "Sorry, safe-sleep and similar questions depend on your baby, so I can't advise on them. Please ask your doctor or health visitor.",
  },
  guarantee: {
    'zh-CN': '抱歉，我无法对使用效果做任何保证。商品信息以详情页为准，宝宝如有不适请咨询医生。',
    en: "Sorry, I can't promise any outcome. The product page has the product's details, and please ask a doctor if your baby has a problem.",
  },
  competitor: {
    'zh-CN': '抱歉，我不比较或评价其他平台、其他品牌的商品和价格，只能为您介绍本直播间的商品。',
    en: "Sorry, I don't compare or comment on other shops' or brands' products and prices; I can tell you about the products in this live room.",
  },
  bargaining: {
    'zh-CN': '抱歉，我不能给个人单独报价或优惠，直播间里大家看到的都是同一个价格，以商品页为准。',
    en: 'Sorry, I can’t offer personal prices or discounts; everyone in the live room sees the same price, shown on the product page.',
  },
  internal_price: {
    'zh-CN': '抱歉，成本、进货价等内部信息不对外公开，我只能告诉您商品页上的售价。',
    en: 'Sorry, cost and wholesale prices are internal; I can only tell you the price on the product page.',
  },
  off_topic: {
    'zh-CN': '抱歉，我只能回答本直播间商品和店铺服务（价格、库存、规格、发货、售后等）相关的问题。',
    en: 'Sorry, I can only help with questions about the products in this live room and the shop’s services (price, stock, specs, shipping, returns).',
  },
};

export type ReplyKey = keyof typeof REPLIES;

export function replyText(key: ReplyKey, locale: AnswerLocale): string {
  return REPLIES[key][locale];
}
