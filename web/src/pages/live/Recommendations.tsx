/**
 * The viewer's recommendations: up to four cards from the products on stage, each with the price the
 * showcase shows (taken from the room state, never from the recommendation — A6), a visible
 * 个性化推荐 badge when the server personalised it (A5) or the panel's 非个性化 label, an 探索 marker
 * when exploration placed it, and "Why am I seeing this?" with the reasons and the exact feature
 * contributions (base + Σφ = score; the exploration bonus apart).
 *
 * The list comes from GET /recommendations and, once the socket carries them, from the room socket
 * (`watch_recommendations`, then a push after pins, flash sales, sold-outs and the viewer's own acts).
 * Without the socket the list is fetched again when the showcase changes. The device id is sent only
 * when the browser already has one (the viewer decided on consent); none is made here. A 👍, 👎 or
 * 不感兴趣 belongs to the product, not the decision: it stays shown as given when a refreshed list
 * shows the product again, and is sent once. When the send fails it is undone (a hidden card comes
 * back) and the card says so, so the viewer can give it again.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, pick, t } from '../../i18n/index.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import type { ClientMessage, RoomState, ShowcaseProduct } from '../../ui/contract.ts';
import { storedDeviceId } from '../../ui/device.ts';
import { formatFen } from '../../ui/money.ts';
import {
  cardPrice,
  checkExplanation,
  contributionRows,
  fetchHowItWorks,
  fetchRecommendations,
  formatNumber,
  formatSigned,
  feedbackFailed,
  feedbackFailedFor,
  giveFeedback,
  givenFor,
  howItWorksHref,
  labelFor,
  postFeedback,
  reasonsFor,
  requestK,
  sendRecFeedback,
  showcaseKey,
  visibleItems,
  type FeedbackFailure,
  type FeedbackType,
  type GivenByProduct,
  type LocaleCode,
  type RecItem,
  type RecList,
} from '../../ui/recommendations.ts';
import { activeFlashSaleFor } from '../../ui/room-state.ts';
import './recommendations.css';

export interface RecommendationActions {
  /** Opens the product's buy dialog (sends `click` for this decision). */
  onOpen: (product: ShowcaseProduct, decisionId: string) => void;
  /** Adds it to the cart (sends `add_to_cart` for this decision). */
  onAddToCart: (product: ShowcaseProduct, decisionId: string) => void;
  /** Opens the report dialog for this recommendation (AI6). */
  onReport: (product: ShowcaseProduct, decisionId: string) => void;
  canBuy: boolean;
  canAddToCart: boolean;
}

export function Recommendations(props: {
  sessionId: string;
  state: RoomState;
  offsetMs: number;
  /** Changes whenever the viewer's consent or personalisation switch changes: the list is asked for again. */
  consentKey: string;
  /** The socket is open and carries recommendations: watch over it. */
  socketReady: boolean;
  send: (message: ClientMessage) => boolean;
  /** The latest list pushed over the socket (a new object each time). */
  pushed: RecList | null;
  actions: RecommendationActions;
}): JSX.Element {
  const { sessionId, state } = props;
  const locale = currentLocale() as LocaleCode;
  const [list, setList] = useState<RecList | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const [openWhy, setOpenWhy] = useState<string | null>(null);
  // By product, not by decision: a refreshed list brings new decision ids for the same products.
  const [given, setGiven] = useState<GivenByProduct>(() => new Map());
  const givenNow = useRef(given); // read synchronously, so a quick second click sends nothing
  const [notice, setNotice] = useState('');
  const [retry, setRetry] = useState(0);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const pushedOnce = useRef(false);
  const request = useRef(0);
  const k = requestK(hidden.size);
  const viaSocket = props.socketReady && pushedOnce.current;
  const roomKey = showcaseKey(state);

  const load = (): void => {
    const mine = ++request.current;
    fetchRecommendations(sessionId, storedDeviceId(), k).then(
      (fetched) => {
        if (mine !== request.current) return;
        setList(fetched);
        setLoadError(null);
      },
      (failure: unknown) => {
        if (mine !== request.current) return;
        setLoadError(failure);
      },
    );
  };

  // Over HTTP: now, after a consent change, and (without the socket) after a showcase change.
  useEffect(() => {
    if (viaSocket) return;
    load();
  }, [sessionId, props.consentKey, viaSocket ? '' : roomKey, retry]);

  // Over the socket: ask after each (re)connection and each consent change; the answer comes as a push.
  useEffect(() => {
    if (!props.socketReady) return;
    const id = storedDeviceId();
    props.send({ type: 'watch_recommendations', k, ...(id ? { deviceId: id } : {}) });
  }, [props.socketReady, props.consentKey, k]);

  useEffect(() => {
    if (!props.pushed) return;
    pushedOnce.current = true;
    request.current += 1; // an HTTP answer still on the way is older
    setList(props.pushed);
    setLoadError(null);
  }, [props.pushed]);

  // Feature names in the viewer's language, for the contributions table (once per language).
  useEffect(() => {
    if (openWhy === null) return;
    let current = true;
    fetchHowItWorks(locale).then(
      (how) => {
        if (current) setLabels(Object.fromEntries(how.features.map((f) => [f.name, f.label])));
      },
      () => undefined, // the table then shows the feature names
    );
    return () => {
      current = false;
    };
  }, [openWhy === null, locale]);

  const feedback = (item: RecItem, product: ShowcaseProduct, type: FeedbackType): void => {
    const next = giveFeedback(givenNow.current, item.productId, type);
    if (!next) return; // already given on this product, under an earlier decision or this one
    givenNow.current = next.given;
    setGiven(next.given);
    if (type === 'not_interested') {
      setHidden((current) => new Set(current).add(item.productId));
      setNotice(t('recs.hidden', { name: pick(product.name) }));
    }
    let failure: FeedbackFailure = 'retry';
    const noteFailure = (f: FeedbackFailure) => {
      failure = f;
    };
    void sendRecFeedback(sessionId, item.decisionId, type, storedDeviceId(), postFeedback, next.feedback.idempotencyKey, noteFailure).then((answer) => {
      if (answer === null) {
        // Nothing was recorded: undo it (the key is kept for a retry of the same feedback) and say so.
        const undone = feedbackFailed(givenNow.current, item.productId, next.feedback, failure);
        if (undone === givenNow.current) return; // given again meanwhile
        givenNow.current = undone;
        setGiven(undone);
        if (type === 'not_interested') {
          setHidden((current) => {
            const shown = new Set(current);
            shown.delete(item.productId);
            return shown;
          });
        }
        setNotice(t(failure === 'refused' ? 'recs.feedbackRefusedFor' : 'recs.feedbackFailedFor', { name: pick(product.name) }));
        return;
      }
      // Thanked once the server has it, never before.
      if (type !== 'not_interested') setNotice(t('recs.thanks'));
      if (!viaSocket) load(); // the socket pushes a fresh list itself
    });
  };

  const serverNow = Date.now() + props.offsetMs;
  const cards = visibleItems(list, state.products, hidden);
  const personalised = list?.personalised ?? false;

  return (
    <section class="recs-panel" aria-labelledby="recs-heading" data-testid="recs-panel" data-personalised={list ? String(personalised) : undefined}>
      <div class="recs-head">
        <h2 class="section-title" id="recs-heading">
          {t('recs.heading')}
        </h2>
        {list && !personalised && (
          <span class="badge recs-label" data-testid="recs-label">
            {labelFor(list, locale) || t('recs.notPersonalised')}
          </span>
        )}
      </div>
      {list && <p class="recs-note muted">{personalised ? t('recs.personalisedNote') : t('recs.notPersonalisedNote')}</p>}
      {list === null && loadError === null && (
        <p class="muted" role="status">
          {t('recs.loading')}
        </p>
      )}
      {loadError !== null && (
        <div class="recs-error">
          <p class="muted">{t('recs.failed')}</p>
          <ProblemMessage error={loadError} />
          <button type="button" class="btn btn-ghost btn-small" onClick={() => setRetry((n) => n + 1)}>
            {t('recs.retry')}
          </button>
        </div>
      )}
      {list && cards.length === 0 && <p class="muted">{t('recs.empty')}</p>}
      {cards.length > 0 && (
        <ul class="recs-list">
          {cards.map(({ item, product }) => {
            const liveSale = activeFlashSaleFor(state, product.id);
            const sale = liveSale && liveSale.endsAt > serverNow ? liveSale : undefined;
            return (
              <RecCard
                key={item.decisionId}
                item={item}
                product={product}
                price={cardPrice(product, sale)}
                locale={locale}
                whyOpen={openWhy === item.decisionId}
                onToggleWhy={() => setOpenWhy((current) => (current === item.decisionId ? null : item.decisionId))}
                sent={givenFor(given, item)}
                failed={feedbackFailedFor(given, item)}
                onFeedback={(type) => feedback(item, product, type)}
                actions={props.actions}
                labels={labels}
              />
            );
          })}
        </ul>
      )}
      <p class="recs-foot">
        <a href={howItWorksHref(state.brand.id, sessionId)} data-testid="recs-how-link">
          {t('recs.howLink')}
        </a>
      </p>
      <span class="visually-hidden" aria-live="polite" aria-atomic="true">
        {notice}
      </span>
    </section>
  );
}

function RecCard(props: {
  item: RecItem;
  product: ShowcaseProduct;
  price: ReturnType<typeof cardPrice>;
  locale: LocaleCode;
  whyOpen: boolean;
  onToggleWhy: () => void;
  sent: FeedbackType | undefined;
  /** The viewer's last feedback on this product did not go through. */
  /** The card's last feedback did not go through, and why. */
  failed: FeedbackFailure | undefined;
  onFeedback: (type: FeedbackType) => void;
  actions: RecommendationActions;
  labels: Record<string, string>;
}): JSX.Element {
  const { item, product, price, actions } = props;
  const name = pick(product.name);
  const exploring = item.explanation.exploration.active;
  const panelId = `recs-why-${item.decisionId}`;
  const failedId = `recs-failed-${item.decisionId}`;
  const describedBy = props.failed ? failedId : undefined;
  return (
    <li
      class={`card recs-item${product.soldOut ? ' is-sold-out' : ''}`}
      data-testid="recs-item"
      data-product-id={product.id}
      data-decision-id={item.decisionId}
      data-personalised={String(item.personalised)}
      data-exploring={String(exploring)}
    >
      <div class="recs-main">
        <img class="product-image" src={product.imageUrl} alt={name} width={72} height={72} loading="lazy" />
        <div class="product-body">
          <h3 class="product-name">{name}</h3>
          <div class="tag-row">
            {item.personalised && (
              <span class="badge recs-badge" data-testid="recs-badge">
                {t('recs.personalisedBadge')}
              </span>
            )}
            {exploring && (
              <span class="badge recs-exploring" data-testid="recs-exploring" title={t('recs.exploringTitle')}>
                {t('recs.exploring')}
              </span>
            )}
            {price.flash && <span class="badge badge-flash">{t('live.flash.label')}</span>}
            {product.soldOut && <span class="badge badge-sold-out">{t('live.stock.soldOut')}</span>}
          </div>
          <div class="price-row">
            <span class="price">
              <span class="visually-hidden">{t('live.price.current')} </span>
              {formatFen(price.priceFen)}
            </span>
            {price.struckFen !== null && (
              <s class="price-list">
                <span class="visually-hidden">{price.flash ? t('live.flash.previous') : t('live.price.list')} </span>
                {formatFen(price.struckFen)}
              </s>
            )}
          </div>
        </div>
      </div>
      <div class="product-actions">
        <button
          type="button"
          class="btn btn-secondary btn-small"
          data-testid="recs-add-to-cart"
          disabled={product.soldOut || !actions.canAddToCart}
          aria-label={`${t('live.actions.addToCart')}：${name}`}
          onClick={() => actions.onAddToCart(product, item.decisionId)}
        >
          {t('live.actions.addToCart')}
        </button>
        <button
          type="button"
          class="btn btn-primary btn-small"
          data-testid="recs-view"
          disabled={product.soldOut || !actions.canBuy}
          aria-label={t('recs.viewLabel', { name })}
          onClick={() => actions.onOpen(product, item.decisionId)}
        >
          {t('recs.view')}
        </button>
      </div>
      <div class="recs-feedback">
        <button
          type="button"
          class="btn btn-ghost btn-small"
          data-testid="recs-like"
          aria-pressed={props.sent === 'like'}
          aria-label={t('recs.likeLabel', { name })}
          title={t('recs.like')}
          disabled={props.sent !== undefined}
          aria-describedby={describedBy}
          onClick={() => props.onFeedback('like')}
        >
          <span aria-hidden="true">👍</span> <span aria-hidden="true">{t('recs.like')}</span>
        </button>
        <button
          type="button"
          class="btn btn-ghost btn-small"
          data-testid="recs-dislike"
          aria-pressed={props.sent === 'dislike'}
          aria-label={t('recs.dislikeLabel', { name })}
          title={t('recs.dislike')}
          disabled={props.sent !== undefined}
          aria-describedby={describedBy}
          onClick={() => props.onFeedback('dislike')}
        >
          <span aria-hidden="true">👎</span> <span aria-hidden="true">{t('recs.dislike')}</span>
        </button>
        <button
          type="button"
          class="btn btn-ghost btn-small"
          data-testid="recs-not-interested"
          aria-label={t('recs.notInterestedLabel', { name })}
          disabled={props.sent !== undefined}
          aria-describedby={describedBy}
          onClick={() => props.onFeedback('not_interested')}
        >
          {t('recs.notInterested')}
        </button>
        <button
          type="button"
          class="btn btn-link btn-small report-button"
          data-testid="recs-report"
          aria-haspopup="dialog"
          aria-label={t('live.report.recommendationLabel', { name })}
          onClick={() => actions.onReport(product, item.decisionId)}
        >
          {t('live.report.button')}
        </button>
        <button
          type="button"
          class="btn btn-link btn-small recs-why"
          data-testid="recs-why"
          aria-expanded={props.whyOpen}
          aria-controls={panelId}
          onClick={props.onToggleWhy}
        >
          {t('recs.why')}
        </button>
      </div>
      {props.failed && (
        <p class="problem" id={failedId} data-testid="recs-feedback-failed" data-failure={props.failed}>
          {t(props.failed === 'refused' ? 'recs.feedbackRefused' : 'recs.feedbackFailed')}
        </p>
      )}
      {props.whyOpen && <WhyPanel id={panelId} item={item} name={name} locale={props.locale} labels={props.labels} onClose={props.onToggleWhy} />}
    </li>
  );
}

function WhyPanel(props: { id: string; item: RecItem; name: string; locale: LocaleCode; labels: Record<string, string>; onClose: () => void }): JSX.Element {
  const { item } = props;
  const reasons = reasonsFor(item, props.locale);
  const rows = contributionRows(item.explanation);
  const check = checkExplanation(item.explanation);
  const bonus = item.explanation.exploration;
  const headingId = `${props.id}-title`;
  return (
    <div
      class="recs-why-panel"
      id={props.id}
      role="region"
      aria-labelledby={headingId}
      data-testid="recs-why-panel"
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onClose();
      }}
    >
      <h4 id={headingId}>{t('recs.whyTitle', { name: props.name })}</h4>
      <h5>{t('recs.reasons')}</h5>
      {reasons.length > 0 ? (
        <ul class="recs-reasons">
          {reasons.map((reason, i) => (
            <li key={i} data-testid="recs-reason">
              {reason}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('recs.noReasons')}</p>
      )}
      <h5>{t('recs.contributions')}</h5>
      {rows.length === 0 ? (
        <p class="muted">{t('recs.noContributions')}</p>
      ) : (
        <div class="recs-table-wrap">
          <table class="recs-table">
            <thead>
              <tr>
                <th scope="col">{t('recs.feature')}</th>
                <th scope="col" class="num">
                  {t('recs.value')}
                </th>
                <th scope="col" class="num">
                  {t('recs.phi')}
                </th>
              </tr>
            </thead>
            <tbody>
              <tr class="recs-base-row">
                <th scope="row">{t('recs.base')}</th>
                <td class="num" />
                <td class="num">{formatNumber(check.base)}</td>
              </tr>
              {rows.map((row) => (
                <tr key={row.feature} data-testid="recs-contribution" data-feature={row.feature} data-phi={row.phi} class={`is-${row.direction}`}>
                  <th scope="row">
                    {props.labels[row.feature] ?? row.feature}
                    {props.labels[row.feature] && <code class="recs-feature-name">{row.feature}</code>}
                  </th>
                  <td class="num">{formatNumber(row.value)}</td>
                  <td class="num">{row.phiText}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('recs.score')}</th>
                <td class="num" />
                <td class="num" data-testid="recs-score">
                  {formatNumber(check.score)}
                </td>
              </tr>
            </tfoot>
          </table>
        </div>
      )}
      <p class="recs-identity" data-testid="recs-identity" data-exact={String(check.exact)}>
        {item.explanation.approximation
          ? t('recs.identityApprox', {
              base: formatNumber(check.base),
              sum: formatSigned(check.sum),
              residual: formatSigned(item.explanation.approximation.residual),
              score: formatNumber(check.score),
            })
          : check.exact
            ? t('recs.identity', { base: formatNumber(check.base), sum: formatSigned(check.sum), score: formatNumber(check.score) })
            : t('recs.identityOff', { total: formatNumber(check.total), score: formatNumber(check.score) })}
      </p>
      <p class="muted">{bonus.active ? t('recs.bonusSeparate', { bonus: formatSigned(bonus.bonus) }) : t('recs.bonusNone')}</p>
      <p class="muted">{t('recs.modelVersion', { version: item.explanation.modelVersion })}</p>
      <button type="button" class="btn btn-ghost btn-small" onClick={props.onClose}>
        {t('recs.close')}
      </button>
    </div>
  );
}
