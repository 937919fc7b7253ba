/**
 * The viewer's recommendations: up to four cards from the products on stage, each with the price the
 * showcase shows (taken from the room state, never from the recommendation — A6), a visible
 * 个性化推荐 badge when the server personalised it (A5) or the panel's 非个性化 label, an 探索 marker
 * when exploration placed it, and "Why am I seeing this?" with the reasons in plain words (and, for an
 * exploration pick, why it is there) and, behind a closed disclosure, the exact calculation (base +
 * Σφ = score, each feature by its name, the exploration bonus apart, the model).
 *
 * One list per page load (each list is logged as decisions, and one never seen would be learnt as
 * "not chosen"): over the room socket once it is open (`watch_recommendations`, then a push after
 * pins, flash sales, sold-outs and the viewer's own acts), over GET /recommendations without it (and
 * again when the showcase changes). It is asked for again only when what the viewer's consent allows
 * really changes — the consent status and profile arriving during the load are no change — or when the
 * number of hidden products changes how many to ask for. The device id is sent only when the browser
 * already has one (the viewer decided on consent); none is made here.
 *
 * A 👍, 👎 or 不感兴趣 belongs to the product, not the decision: it stays shown as given when a refreshed
 * list shows the product again, and is sent once. It is kept on this device for the room (localStorage,
 * never on the server), so after a reload a hidden product stays hidden and a 👍/👎 stays chosen and is
 * not sent again. When the send fails it is undone (a hidden card comes back) and the card says so, so
 * the viewer can give it again. Focus never falls to the page when a card or control goes away.
 */
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, pick, t } from '../../i18n/index.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import type { ClientMessage, RoomState, ShowcaseProduct } from '../../ui/contract.ts';
import type { ConnectionStatus } from '../../ui/room-socket.ts';
import { storedDeviceId } from '../../ui/device.ts';
import { formatFen } from '../../ui/money.ts';
import {
  cardPrice,
  checkExplanation,
  consentChange,
  contributionRows,
  fetchHowItWorks,
  fetchRecommendations,
  formatNumber,
  formatSigned,
  feedbackFailed,
  feedbackFailedFor,
  giveFeedback,
  givenFor,
  hiddenProducts,
  howItWorksHref,
  labelFor,
  parseModelVersion,
  postFeedback,
  readRoomFeedback,
  reasonsFor,
  requestK,
  sendRecFeedback,
  showcaseKey,
  shownContributionRows,
  visibleItems,
  writeRoomFeedback,
  type FeedbackFailure,
  type FeedbackType,
  type GivenByProduct,
  type LocaleCode,
  type RecItem,
  type RecList,
  type RecsConsent,
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
  /** What in the viewer's consent changes the list: asked for again only when it really changes. */
  consent: RecsConsent;
  /** The room socket's status when it carries recommendations, null when it does not (HTTP only). */
  connection: ConnectionStatus | null;
  send: (message: ClientMessage) => boolean;
  /** The latest list pushed over the socket (a new object each time). */
  pushed: RecList | null;
  actions: RecommendationActions;
}): JSX.Element {
  const { sessionId, state } = props;
  const locale = currentLocale() as LocaleCode;
  const [list, setList] = useState<RecList | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [openWhy, setOpenWhy] = useState<string | null>(null);
  // By product, not by decision: a refreshed list brings new decision ids for the same products. Kept
  // on this device for the room (a reload shows what was given, hides what was hidden, sends none again).
  const [given, setGiven] = useState<GivenByProduct>(() => readRoomFeedback(sessionId));
  const givenNow = useRef(given); // read synchronously, so a quick second click sends nothing
  const [notice, setNotice] = useState('');
  const [retry, setRetry] = useState(0);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [consentTick, setConsentTick] = useState(0);
  const [socketLate, setSocketLate] = useState(false);
  const request = useRef(0);
  /** The consent the last list was asked under (null before the first ask). */
  const askedConsent = useRef<RecsConsent | null>(null);
  /** The device id the socket watch was last sent with ('' for none); null before any watch. */
  const watchedDevice = useRef<string | null>(null);
  /** A watch sent whose push has not come yet. */
  const awaitingPush = useRef(0);
  const panel = useRef<HTMLElement>(null);
  const focusMemo = useRef<FocusMemo | null>(null);
  const hidden = hiddenProducts(given);
  const k = requestK(hidden.size);
  // Over the socket once it is open; while it first connects, wait (a list asked over HTTP now would be
  // a second list when the socket opens), unless it is late; over HTTP without it.
  const mode: 'socket' | 'wait' | 'http' =
    props.connection === 'open' ? 'socket' : props.connection === 'connecting' && !socketLate ? 'wait' : 'http';
  const roomKey = showcaseKey(state);

  const load = (): void => {
    const mine = ++request.current;
    askedConsent.current = props.consent;
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

  const watch = (): boolean => {
    const id = storedDeviceId();
    if (!props.send({ type: 'watch_recommendations', k, ...(id ? { deviceId: id } : {}) })) return false;
    askedConsent.current = props.consent;
    watchedDevice.current = id ?? '';
    awaitingPush.current = ++request.current;
    return true;
  };

  // One list per page load: over the socket when it is open (the server then pushes each change), over
  // HTTP without it (and again after a showcase change); again after a real consent change (below),
  // when the hidden count changes the size asked for, and on the retry button.
  useEffect(() => {
    if (mode === 'wait') return;
    if (mode === 'socket' && watch()) {
      const mine = awaitingPush.current;
      // No answer over the socket (recommendations unavailable there): fall back to HTTP once.
      const timer = setTimeout(() => {
        if (awaitingPush.current === mine) load();
      }, SOCKET_ANSWER_MS);
      return () => clearTimeout(timer);
    }
    load();
    return undefined;
  }, [sessionId, mode, k, consentTick, retry, mode === 'http' ? roomKey : '']);

  // A first connection that does not open soon: ask over HTTP meanwhile.
  useEffect(() => {
    if (props.connection !== 'connecting') return;
    const timer = setTimeout(() => setSocketLate(true), SOCKET_GRACE_MS);
    return () => clearTimeout(timer);
  }, [props.connection]);

  // The consent status and profile arriving during the load are no change; a decision or switch that
  // changes what is allowed is.
  useEffect(() => {
    const asked = askedConsent.current;
    if (!asked) return; // not asked yet: the first ask takes the consent as it is then
    const change = consentChange(asked, props.consent);
    if (change === 'adopt') askedConsent.current = props.consent;
    else if (change === 'ask') setConsentTick((n) => n + 1);
  }, [props.consent.effective, props.consent.epoch]);

  useEffect(() => {
    if (!props.pushed) return;
    awaitingPush.current = 0;
    request.current += 1; // an HTTP answer still on the way is older
    setList(props.pushed);
    setLoadError(null);
  }, [props.pushed]);

  // Feature names in the viewer's language, for the exact calculation (once per language).
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

  // Focus stays in the panel when what held it goes away (a hidden card, a closed explanation, a card
  // redrawn by a new list): the same product's button, else the card now in its place, else the heading.
  useLayoutEffect(() => {
    const memo = focusMemo.current;
    const root = panel.current;
    if (!memo || !root || memo.element.isConnected) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    focusMemo.current = null;
    restoreFocus(root, memo);
  });

  const remember = (given: GivenByProduct): void => {
    givenNow.current = given;
    setGiven(given);
    writeRoomFeedback(sessionId, given);
  };

  const feedback = (item: RecItem, product: ShowcaseProduct, type: FeedbackType): void => {
    const next = giveFeedback(givenNow.current, item.productId, type);
    if (!next) return; // already given on this product, under an earlier decision or this one (or before a reload)
    remember(next.given);
    if (type === 'not_interested') setNotice(t('recs.hidden', { name: pick(product.name) }));
    let failure: FeedbackFailure = 'retry';
    const noteFailure = (f: FeedbackFailure) => {
      failure = f;
    };
    void sendRecFeedback(sessionId, item.decisionId, type, storedDeviceId(), postFeedback, next.feedback.idempotencyKey, noteFailure).then((answer) => {
      if (answer === null) {
        // Nothing was recorded: undo it (a hidden card comes back; the key is kept for a retry of the same feedback) and say so.
        const undone = feedbackFailed(givenNow.current, item.productId, next.feedback, failure);
        if (undone === givenNow.current) return; // given again meanwhile
        remember(undone);
        setNotice(t(failure === 'refused' ? 'recs.feedbackRefusedFor' : 'recs.feedbackFailedFor', { name: pick(product.name) }));
        return;
      }
      // Thanked once the server has it, never before.
      if (type !== 'not_interested') setNotice(t('recs.thanks'));
      // The socket pushes a fresh list itself when the watch names this device; otherwise ask.
      if (mode === 'http') load();
      else if (mode === 'socket' && watchedDevice.current !== (storedDeviceId() ?? '')) watch();
    });
  };

  const serverNow = Date.now() + props.offsetMs;
  const cards = visibleItems(list, state.products, hidden);
  const personalised = list?.personalised ?? false;

  return (
    <section
      class="recs-panel"
      id="recommendations"
      ref={panel}
      aria-labelledby="recs-heading"
      data-testid="recs-panel"
      data-personalised={list ? String(personalised) : undefined}
      onFocusIn={(event) => {
        focusMemo.current = focusMemoOf(event.target);
      }}
      onFocusOut={(event) => {
        const left = event.target as Element | null;
        const to = event.relatedTarget as Node | null;
        if (to && !panel.current?.contains(to)) focusMemo.current = null; // moved elsewhere on purpose
        else if (!to && left) {
          // Focus went nowhere: kept only if its element is about to go away (then it is restored).
          queueMicrotask(() => {
            if (left.isConnected && focusMemo.current?.element === left && document.activeElement !== left) focusMemo.current = null;
          });
        }
      }}
    >
      <div class="recs-head">
        <h2 class="section-title" id="recs-heading" tabIndex={-1}>
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
          {cards.map(({ item, product }, index) => {
            const liveSale = activeFlashSaleFor(state, product.id);
            const sale = liveSale && liveSale.endsAt > serverNow ? liveSale : undefined;
            return (
              <RecCard
                // By product: a refreshed list keeps the card (and the focus in it).
                key={item.productId}
                index={index}
                item={item}
                product={product}
                price={cardPrice(product, sale)}
                locale={locale}
                whyOpen={openWhy === item.productId}
                onToggleWhy={() => setOpenWhy((current) => (current === item.productId ? null : item.productId))}
                onCloseWhy={() => setOpenWhy((current) => (current === item.productId ? null : current))}
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

/** How long the first socket connection may take before the list is asked for over HTTP. */
const SOCKET_GRACE_MS = 3_000;
/** How long a watch may go unanswered before the list is asked for over HTTP. */
const SOCKET_ANSWER_MS = 10_000;

/** Where focus was in the panel: the element, its card's product and place, and which control. */
interface FocusMemo {
  element: Element;
  productId: string | null;
  index: number;
  control: string | null;
  inWhy: boolean;
}

function focusMemoOf(target: EventTarget | null): FocusMemo | null {
  if (!(target instanceof Element)) return null;
  const card = target.closest('[data-testid="recs-item"]');
  return {
    element: target,
    productId: card?.getAttribute('data-product-id') ?? null,
    index: Number(card?.getAttribute('data-index') ?? -1),
    control: target.getAttribute('data-testid'),
    inWhy: target.closest('[data-testid="recs-why-panel"]') !== null,
  };
}

const FOCUSABLE = 'button:not([disabled]), a[href], summary';

function restoreFocus(root: HTMLElement, memo: FocusMemo): void {
  const cards = [...root.querySelectorAll<HTMLElement>('[data-testid="recs-item"]')];
  const same = memo.productId ? cards.find((c) => c.getAttribute('data-product-id') === memo.productId) : undefined;
  let target: HTMLElement | null | undefined;
  if (same) {
    // Its explanation closed: back to the button that opens it; else the same control, if still there.
    if (memo.inWhy) target = same.querySelector<HTMLElement>('[data-testid="recs-why"]');
    else if (memo.control) target = same.querySelector<HTMLElement>(`[data-testid="${memo.control}"]:not([disabled])`);
    target ??= same.querySelector<HTMLElement>(FOCUSABLE);
  } else if (memo.productId) {
    // The card went away (hidden): the card now in its place, or the one before it.
    const next = cards[Math.min(Math.max(memo.index, 0), cards.length - 1)];
    target = next?.querySelector<HTMLElement>(FOCUSABLE);
  }
  (target ?? root.querySelector<HTMLElement>('#recs-heading'))?.focus();
}

function RecCard(props: {
  index: number;
  item: RecItem;
  product: ShowcaseProduct;
  price: ReturnType<typeof cardPrice>;
  locale: LocaleCode;
  whyOpen: boolean;
  onToggleWhy: () => void;
  onCloseWhy: () => void;
  sent: FeedbackType | undefined;
  /** The card's last feedback did not go through, and why. */
  failed: FeedbackFailure | undefined;
  onFeedback: (type: FeedbackType) => void;
  actions: RecommendationActions;
  labels: Record<string, string>;
}): JSX.Element {
  const { item, product, price, actions } = props;
  const name = pick(product.name);
  const exploring = item.explanation.exploration.active;
  const cardId = `recs-${props.index}`;
  const panelId = `${cardId}-why`;
  const failedId = `${cardId}-failed`;
  const describedBy = props.failed ? failedId : undefined;
  const closeWhy = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || !props.whyOpen) return;
    event.preventDefault();
    props.onCloseWhy();
  };
  return (
    <li
      class={`card recs-item${product.soldOut ? ' is-sold-out' : ''}`}
      data-testid="recs-item"
      data-product-id={product.id}
      data-decision-id={item.decisionId}
      data-index={props.index}
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
        <ChoiceButton
          type="like"
          testId="recs-like"
          sent={props.sent}
          label={t('recs.likeLabel', { name })}
          text={props.sent === 'like' ? t('recs.liked') : t('recs.like')}
          icon="👍"
          describedBy={describedBy}
          onChoose={() => props.onFeedback('like')}
        />
        <ChoiceButton
          type="dislike"
          testId="recs-dislike"
          sent={props.sent}
          label={t('recs.dislikeLabel', { name })}
          text={props.sent === 'dislike' ? t('recs.disliked') : t('recs.dislike')}
          icon="👎"
          describedBy={describedBy}
          onChoose={() => props.onFeedback('dislike')}
        />
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
          aria-label={t('recs.whyLabel', { name })}
          onClick={props.onToggleWhy}
          onKeyDown={closeWhy}
        >
          {t('recs.why')}
        </button>
      </div>
      {props.failed && (
        <p class="problem" id={failedId} data-testid="recs-feedback-failed" data-failure={props.failed}>
          {t(props.failed === 'refused' ? 'recs.feedbackRefused' : 'recs.feedbackFailed')}
        </p>
      )}
      {props.whyOpen && <WhyPanel id={panelId} item={item} name={name} locale={props.locale} labels={props.labels} onClose={props.onCloseWhy} />}
    </li>
  );
}

/**
 * 👍 or 👎: pressed (aria-pressed, a filled, bordered look and a ✓ with the words "Liked"/"Disliked")
 * once given. The chosen one stays focusable (aria-disabled, not disabled, so focus is not lost) and
 * does nothing again; the other is disabled.
 */
function ChoiceButton(props: {
  type: 'like' | 'dislike';
  testId: string;
  sent: FeedbackType | undefined;
  label: string;
  text: string;
  icon: string;
  describedBy: string | undefined;
  onChoose: () => void;
}): JSX.Element {
  const pressed = props.sent === props.type;
  return (
    <button
      type="button"
      class={`btn btn-ghost btn-small recs-choice${pressed ? ' is-pressed' : ''}`}
      data-testid={props.testId}
      aria-pressed={pressed}
      aria-label={props.label}
      aria-disabled={pressed || undefined}
      disabled={props.sent !== undefined && !pressed}
      aria-describedby={props.describedBy}
      onClick={() => {
        if (!pressed) props.onChoose();
      }}
    >
      {pressed && (
        <span class="recs-check" aria-hidden="true">
          ✓
        </span>
      )}
      <span aria-hidden="true">{props.icon}</span> <span aria-hidden="true">{props.text}</span>
    </button>
  );
}

/**
 * "Why am I seeing this?": the plain reasons first, and in plain words when the card is an
 * exploration pick; the exact calculation (A2: base + Σφ = score, each feature by its name in the
 * viewer's language, the exploration bonus apart, the model) behind a disclosure, closed at first.
 */
function WhyPanel(props: { id: string; item: RecItem; name: string; locale: LocaleCode; labels: Record<string, string>; onClose: () => void }): JSX.Element {
  const { item } = props;
  const reasons = reasonsFor(item, props.locale);
  const { shown: rows, omitted } = shownContributionRows(contributionRows(item.explanation));
  const check = checkExplanation(item.explanation);
  const bonus = item.explanation.exploration;
  const model = parseModelVersion(item.explanation.modelVersion);
  const headingId = `${props.id}-title`;
  return (
    <div
      class="recs-why-panel"
      id={props.id}
      role="region"
      aria-labelledby={headingId}
      data-testid="recs-why-panel"
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        props.onClose();
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
      {bonus.active && (
        <p class="recs-why-exploring" data-testid="recs-why-exploring">
          {t('recs.exploringExplained')}
        </p>
      )}
      <details class="recs-details" data-testid="recs-why-details">
        <summary data-testid="recs-why-details-toggle">{t('recs.details')}</summary>
        <p class="muted">{t('recs.detailsIntro')}</p>
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
                      {/* The name in the viewer's language (fetched when the panel opens); the technical name only if that failed. */}
                      {props.labels[row.feature] ?? <span translate={false}>{row.feature}</span>}
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
        {omitted > 0 && (
          <p class="muted" data-testid="recs-omitted">
            {t('recs.omitted', { n: omitted })}
          </p>
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
        <p class="muted" data-testid="recs-model">
          {model.family === 'other'
            ? t('recs.modelOther')
            : t('recs.modelPlain', {
                model: t(`recs.health.modelName.${model.family}`, { design: model.design ?? '—' }),
                updates: model.updates ?? 0,
              })}{' '}
          <span class="recs-technical">{t('recs.modelTechnical', { version: model.technical })}</span>
        </p>
      </details>
      <button type="button" class="btn btn-ghost btn-small" data-testid="recs-why-close" onClick={props.onClose}>
        {t('recs.close')}
      </button>
    </div>
  );
}
