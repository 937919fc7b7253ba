/**
 * Recommendations over HTTP: the viewer's list (device id in the x-qingliu-device header, or
 * ?viewer=), feedback once per idempotency key, the host's recommendation health, the public
 * "how recommendations work" page data, the staff model card, and the decision-log export for
 * offline evaluation.
 */
import { deviceClassOf } from '../../shared/device-class.js';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, unwrap } from '../../errors/index.js';
import type { Locale } from '../../context/index.js';
import { ALLOWED_FEATURES, SENSITIVE_FEATURES } from './model/index.js';
import { DIVERSITY_PENALTY, FEEDBACK_REWARD, NON_PERSONALISED_WEIGHTS, type RecommenderService } from './service.js';
import type { FeedbackType } from './ports.js';
import { recommendationsBody } from './json.js';

/** An error answer: RFC 9457 problem details with a stable code (docs/errors.md). */
const Problem = { $ref: 'Problem#' };
const DEVICE = /^[A-Za-z0-9_-]{16,128}$/;
const Share = Type.Number({ minimum: 0, maximum: 1 });
/** The host console's recommendation health (HealthReport). */
const HealthSchema = Type.Object({
  sessionId: Type.String(),
  since: Type.Integer({ description: 'Counted from (ms since the epoch): the show’s start' }),
  modelVersion: Type.String(),
  updates: Type.Integer({ minimum: 0 }),
  impressions: Type.Integer({ minimum: 0 }),
  explorationShare: Share,
  personalisedShare: Share,
  products: Type.Array(
    Type.Object({
      productId: Type.String(),
      impressions: Type.Integer({ minimum: 0 }),
      clicks: Type.Integer({ minimum: 0 }),
      carts: Type.Integer({ minimum: 0 }),
      purchases: Type.Integer({ minimum: 0 }),
      explored: Type.Integer({ minimum: 0 }),
      ctr: Share,
      cartRate: Share,
    }),
  ),
});
const SessionParams = Type.Object({ sessionId: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });
const FEEDBACK_TYPES = Object.keys(FEEDBACK_REWARD) as FeedbackType[];
const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });
/** The recommendations response (documented in the API; json.ts writes it). */
export const RecommendationsSchema = Type.Object({
  sessionId: Type.String(),
  personalised: Type.Boolean(),
  label: Bilingual,
  modelVersion: Type.String(),
  at: Type.Integer(),
  experiment: Type.Optional(Type.Object({ id: Type.String(), arm: Type.String() }, { description: 'The A/B experiment and arm that served this list, when one runs in the room' })),
  items: Type.Array(
    Type.Object({
      decisionId: Type.String(),
      productId: Type.String(),
      position: Type.Integer(),
      personalised: Type.Boolean(),
      propensity: Type.Number(),
      reasons: Type.Object({ zh: Type.Array(Type.String()), en: Type.Array(Type.String()) }),
      explanation: Type.Object({
        score: Type.Number(),
        base: Type.Number(),
        contributions: Type.Array(Type.Object({ feature: Type.String(), value: Type.Number(), phi: Type.Number() })),
        exploration: Type.Object({ active: Type.Boolean(), bonus: Type.Number() }),
        modelVersion: Type.String(),
        method: Type.Optional(Type.Literal('gradient-x-input', { description: "Absent: exact (base + Σφ = score). The MLP arm's first-order attribution, with its residual" })),
        residual: Type.Optional(Type.Number()),
      }),
    }),
  ),
});
export const HOW_IT_WORKS_VERSION = '2026-12-02.1';

export interface RecommenderRouteDeps {
  /** Whether a staff member may see this session's health (hosts: only sessions they host); undefined when there is no such session. */
  canSeeSession(request: FastifyRequest, sessionId: string): Promise<boolean | undefined>;
  /** When the session went live (health figures count from then), or undefined. */
  sessionStart(sessionId: string): Promise<number | undefined>;
}

function viewerOf(request: FastifyRequest, fromQuery: string | undefined): string | undefined {
  const header = request.headers['x-qingliu-device'];
  const value = fromQuery ?? (typeof header === 'string' ? header : undefined);
  if (value === undefined) return undefined;
  if (!DEVICE.test(value)) throw new AppError('VALIDATION_FAILED', 'viewer: a device id of 16–128 letters, digits, "_" or "-"');
  return value;
}

export function recommenderRoutes(service: RecommenderService, deps: RecommenderRouteDeps) {
  return async function routes(app: FastifyInstance): Promise<void> {
    app.get(
      '/api/v1/sessions/:sessionId/recommendations',
      {
        config: { access: 'public' },
        schema: {
          tags: ['recommendations'],
          summary: 'A ranked list for this viewer, each with its explanation; personalised only under consent',
          params: SessionParams,
          querystring: Type.Object(
            { k: Type.Optional(Type.Integer({ minimum: 1, maximum: service.options.maxK })), viewer: Type.Optional(Type.String({ maxLength: 128 })) },
            { additionalProperties: false },
          ),
          // 404 SESSION_NOT_FOUND, 409 SESSION_NOT_LIVE / SESSION_ENDED, 400 a bad k or viewer, 429 too many.
          response: { 200: RecommendationsSchema, 400: Problem, 404: Problem, 409: Problem, 429: Problem },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const q = request.query as { k?: number; viewer?: string };
        const result = unwrap(
          await service.recommend(request.ctx, sessionId, {
            ...(q.k !== undefined ? { k: q.k } : {}),
            deviceId: viewerOf(request, q.viewer),
            // Only the coarse class is kept (audit segments), never the User-Agent itself.
            device: deviceClassOf(request.headers['user-agent']),
          }),
        );
        // Written from cached pieces (json.ts): the shared non-personalised items are serialised once per room view.
        reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
        return recommendationsBody(result);
      },
    );

    app.post(
      '/api/v1/sessions/:sessionId/recommendations/feedback',
      {
        config: { access: 'public', rateLimit: { max: 600, timeWindow: '1 minute' } },
        schema: {
          tags: ['recommendations'],
          summary: 'Feedback on a recommendation shown; refines the model only under the model-improvement consent (F1)',
          params: SessionParams,
          body: Type.Object(
            {
              decisionId: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
              type: Type.Union(FEEDBACK_TYPES.map((t) => Type.Literal(t))),
              idempotencyKey: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
              deviceId: Type.Optional(Type.String({ pattern: DEVICE.source })),
              orderId: Type.Optional(
                Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'A purchase: the id of the order it placed in this session (required then; refused for other kinds)' }),
              ),
            },
            { additionalProperties: false },
          ),
          // 404 SESSION_NOT_FOUND / DECISION_NOT_FOUND / ORDER_NOT_FOUND; 409 DUPLICATE_REQUEST / ORDER_NOT_OF_RECOMMENDATION / ORDER_ALREADY_CLAIMED.
          response: { 202: Type.Object({ learned: Type.Boolean(), duplicate: Type.Boolean() }), 400: Problem, 404: Problem, 409: Problem, 429: Problem },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const body = request.body as { decisionId: string; type: FeedbackType; idempotencyKey: string; deviceId?: string; orderId?: string };
        return reply.status(202).send(unwrap(await service.feedback(request.ctx, sessionId, body)));
      },
    );

    app.get(
      '/api/v1/sessions/:sessionId/recommendations/health',
      {
        config: { access: ['host', 'admin'] },
        schema: {
          tags: ['recommendations'],
          summary: 'Recommendation health for the host console: impressions, click-through and add-to-cart rates, exploration share (the room\'s host and administrators)',
          params: SessionParams,
          response: { 200: HealthSchema, 401: Problem, 403: Problem, 404: Problem },
        },
      },
      async (request) => {
        const { sessionId } = request.params as { sessionId: string };
        const may = await deps.canSeeSession(request, sessionId);
        if (may === undefined) throw new AppError('SESSION_NOT_FOUND');
        if (!may) throw new AppError('FORBIDDEN');
        return service.health(sessionId, (await deps.sessionStart(sessionId)) ?? 0);
      },
    );

    app.get(
      '/api/v1/recommendations/how-it-works',
      {
        config: { access: 'public' },
        schema: {
          tags: ['recommendations'],
          summary: 'How recommendations work (A4): objective, features used, what is never used, how to switch off — versioned',
          querystring: Type.Object({ locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])) }, { additionalProperties: false }),
        },
      },
      async (request) => howItWorks(service, (request.query as { locale?: Locale }).locale ?? request.ctx.locale),
    );

    app.get(
      '/api/v1/recommender/model-card',
      {
        config: { access: 'staff' },
        schema: { tags: ['recommendations'], summary: 'The model card: features, objective, exploration, version, last update, quality figures' },
      },
      async () => service.modelCard(),
    );

    app.get(
      '/api/v1/compliance/recommendations/decisions.csv',
      {
        config: { access: ['compliance', 'admin'] },
        schema: {
          tags: ['recommendations'],
          summary: 'The decision log (no viewer identity) for `qingliu evaluate`: one row per recommendation shown',
          querystring: Type.Object({ from: Type.Optional(Type.Integer({ minimum: 0 })), until: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const q = request.query as { from?: number; until?: number };
        const csv = await service.exportDecisions(q.from ?? 0, q.until ?? Number.MAX_SAFE_INTEGER);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="qingliu-decisions-${new Date().toISOString().slice(0, 10)}.csv"`)
          .header('cache-control', 'no-store')
          .send(csv);
      },
    );
  };
}

export function howItWorks(service: RecommenderService, locale: Locale) {
  const zh = locale === 'zh-CN';
  const pick = (b: { zh: string; en: string }) => (zh ? b.zh : b.en);
  return {
    version: HOW_IT_WORKS_VERSION,
    locale,
    objective: pick({
      zh: '在直播间正在展示的商品中，为您挑选您最可能点击、加购或购买的几件。价格、优惠和优惠券资格与推荐无关，所有人相同。',
      en: 'From the products on stage, pick the few you are most likely to click, add to cart or buy. Prices, discounts and coupon eligibility have nothing to do with it: they are the same for everyone.',
    }),
    personalised: pick({
      zh: '只有在您同意“个性化推荐”、未关闭个性化推荐且不在未成年人模式时，才会使用您在本场直播中的浏览、加购、您的兴趣标签，以及您填写的宝宝月龄段（商品是否适合这个月龄，和同月龄段家长常选哪类商品——只是按月龄段汇总的计数，不涉及任何人）。模型是一个线性上下文老虎机（LinUCB），每条推荐都附带精确的特征贡献（基线加各特征贡献等于得分）。为了继续学习，模型会有意探索：约 10% 的位置随机挑选，此外，当模型对某件商品还不确定时，会把它排在模型估计更好的商品之前（不确定性加成）。这两种推荐都会标明“探索”；模型越了解这场直播，后一种就越少。在对比实验中，部分观众可能由试验中的神经网络模型推荐：它的特征贡献是一阶近似（梯度 × 输入），会标明近似并给出余项。',
      en: 'Only if you consented to personalised recommendations, have not switched personalisation off and are not in minors mode do we use what you viewed and added to cart in this stream, your interest tags and the child age band you gave (whether a product suits that age, and which kinds of product parents of children that age choose: counts per age band, about no one in particular). The model is a linear contextual bandit (LinUCB); every recommendation carries its exact feature contributions (the base plus the contributions equals the score). To keep learning, the model explores on purpose: about 10% of positions are picked at random, and a product the model is still unsure about may be placed ahead of one it scores higher (the uncertainty bonus). Both kinds of pick say so; the more the model knows about the stream, the rarer the second kind. In an A/B experiment some viewers may be served by a neural network under test instead: its contributions are a first-order approximation (gradient × input), labelled so, with the remainder shown.',
    }),
    nonPersonalised: pick({
      zh: '其他情况下，推荐只看直播间本身：主播正在讲解的商品、最近 5 分钟和本场的热度、正在秒杀的商品，并兼顾品类多样性。它们标为“非个性化”，不读取也不保存您的任何个人行为。',
      en: 'Otherwise the list looks only at the room: what the host is presenting, what has been popular in the last 5 minutes and this stream, what is on flash sale, with category diversity. It is marked "Not personalised" and reads and stores none of your behaviour.',
    }),
    nonPersonalisedWeights: { ...NON_PERSONALISED_WEIGHTS, diversity: -DIVERSITY_PENALTY },
    learning: pick({
      zh: '点击、加购、购买、点赞、点踩和“不感兴趣”只有在您同意“用反馈改进模型”时才会改进模型；否则只计入匿名的直播间热度。在同样的同意下，推荐给您的商品如果一分钟内没有得到任何反馈，模型会把它记为“未被选择”（届时会再次确认您的同意）；此后的反馈仍会记录，但不再用于学习。',
      en: 'Clicks, add-to-cart, purchases, likes, dislikes and "not interested" refine the model only if you consented to "use my feedback to improve models"; otherwise they only count towards the room’s anonymous popularity. Under the same consent, a recommendation shown to you that draws no feedback within a minute is learnt as "not chosen" (your consent is checked again then); feedback after that is still recorded but no longer learnt from.',
    }),
    features: ALLOWED_FEATURES.map((f) => ({ name: f.name, group: f.group, personal: f.group === 'behaviour' || f.group === 'profile', label: pick(f.label) })),
    neverUsed: [
      ...SENSITIVE_FEATURES.map((f) => pick(f.label)),
      pick({ zh: '您声明的年龄段（只用于未成年人保护）', en: 'your declared age band (used only to protect minors)' }),
      pick({ zh: '您的设备标识、联系方式或任何身份信息', en: 'your device id, contact details or any identity' }),
      pick({ zh: '您声明的城市级别（只用于公平性审计）', en: 'your declared city tier (used only for fairness audits)' }),
    ],
    fairness: pick(
      service.options.fairRerank.grouping === 'off'
        ? {
            zh: '每场直播结束时、每天以及直播过程中，都会检查推荐是否让某类观众（按孩子年龄段、城市级别、设备类型、新老访客分组，不含身份）看到更贵的商品或得到更差的推荐，结果由合规人员查看。',
            en: 'At the end of every show, daily and during the show, an audit checks whether any group of viewers (by child age band, city tier, device type, new or returning; no identity) is shown dearer products or served worse; compliance officers see the results.',
          }
        : {
            zh: '每场直播结束时、每天以及直播过程中，都会检查推荐是否让某类观众看到更贵的商品或得到更差的推荐。本直播间还启用了公平曝光重排：当某类商品获得的曝光远超其受欢迎程度时，会把其他商品往前调，调整过的商品会说明原因。',
            en: 'At the end of every show, daily and during the show, an audit checks whether any group of viewers is shown dearer products or served worse. Exposure-fair re-ranking is also on: when one kind of product gets far more attention than its appeal warrants, others are moved up, and a moved product says so.',
          },
    ),
    switchOff: pick({
      zh: '在直播间点“隐私”按钮或在隐私中心关闭个性化推荐，下一次请求即生效；也可以随时撤回同意，或查看、删除您的兴趣标签。',
      en: 'Switch personalisation off with the Privacy button in the live room or in the privacy centre: it applies from the next request. You can also withdraw consent at any time, or see and delete your interest tags.',
    }),
    model: { kind: service.options.kind, epsilon: service.options.epsilon, version: service.modelVersion },
  };
}
