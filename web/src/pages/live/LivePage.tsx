/**
 * The viewer's live room (/live/:id), phone first. Every number on it — viewers, likes, prices,
 * stock, "only N left", countdowns — comes from the server (A9, LC4); the operator and merchant are
 * named in the header (LC1). The consent banner asks on first entry and the Privacy button reopens it
 * (ConsentBanner.tsx); nothing here waits for a decision (C3). Places for later capabilities are
 * marked and empty.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { SimulatedAudienceNotice } from '../../ui/simulated.tsx';
import { ApiError, sendRoomEvent } from '../../ui/api.ts';
import { readCartCount, writeCartCount } from '../../ui/cart.ts';
import {
  ConnectionIndicator,
  LocaleSwitch,
  ProblemMessage,
  Spinner,
  StatusBadge,
  ToastRegion,
  useToaster,
} from '../../ui/components.tsx';
import { parseRecList, recsConsentKey, sendPurchaseFeedback, sendRecFeedback, socketCarriesRecommendations, type RecList, type RecsConsent } from '../../ui/recommendations.ts';
import { storedDeviceId } from '../../ui/device.ts';
import { sendBehaviour } from '../../ui/behaviour.ts';
import { isMinorMode, isModal, type ConsentReceipt } from '../../ui/consent.ts';
import type { Order, RoomState, ShowcaseProduct } from '../../ui/contract.ts';
import { useServerNow } from '../../ui/countdown.ts';
import { formatCount } from '../../ui/format.ts';
import { newClientId } from '../../ui/ids.ts';
import { sessionIdFromPath } from '../../ui/location.ts';
import { formatFen } from '../../ui/money.ts';
import { activeFlashSaleFor, pinnedProducts, productsInOrder } from '../../ui/room-state.ts';
import { type ConnectionStatus } from '../../ui/room-socket.ts';
import { useRoom } from '../../ui/use-room.ts';
import { BuyDialog } from './BuyDialog.tsx';
import { ChatPanel } from './Chat.tsx';
import { ConsentBanner } from './ConsentBanner.tsx';
import { PinnedCard, ProductRow, type ProductActions } from './ProductViews.tsx';
import { Recommendations, type RecommendationActions } from './Recommendations.tsx';
import { ReportDialog, type ReportSubject } from './ReportDialog.tsx';
import { Stream } from './Stream.tsx';
import { useConsent } from './use-consent.ts';

/** Whether the room socket may carry recommendations (else they come over HTTP only). */
const SOCKET_RECS = socketCarriesRecommendations();

export function LivePage(): JSX.Element {
  const sessionId = sessionIdFromPath(location.pathname, 'live');
  if (!sessionId) return <PageMessage text={t('live.notFound')} />;
  return <LiveRoom sessionId={sessionId} />;
}

function PageMessage({ text, error }: { text: string; error?: unknown }): JSX.Element {
  return (
    <main class="page-message">
      <div class="auth-top">
        <LocaleSwitch />
      </div>
      <h1>{text}</h1>
      {error !== undefined && <ProblemMessage error={error} />}
    </main>
  );
}

function LiveRoom({ sessionId }: { sessionId: string }): JSX.Element {
  const room = useRoom(sessionId);
  const toaster = useToaster();
  const [cartCount, setCartCount] = useState(() => readCartCount(sessionId));
  const [buying, setBuying] = useState<ShowcaseProduct | null>(null);
  const [reporting, setReporting] = useState<ReportSubject | null>(null);
  const { state } = room;
  const status = state?.session.status;
  // Decisions recorded on this page (the recommendations ask again when one changed what is allowed).
  const [consentEpoch, setConsentEpoch] = useState(0);
  const onConsentRecorded = useCallback((receipt: ConsentReceipt) => {
    setConsentEpoch((n) => n + 1);
    toaster.show('success', t('consent.recorded', { id: receipt.consentId }));
  }, []);
  const consent = useConsent(state?.brand.id ?? null, onConsentRecorded);
  // Before a decision the banner is a modal over the page; the page stays in the DOM, inert only then.
  const pageInert = isModal(consent.view);
  // Recommendations: the decision a product was opened from (its purchase is that card's feedback),
  // the list last pushed over the socket, and what in the viewer's consent changes the list: the
  // purposes allowed now (they fold in minors mode and the personalisation switch). A browser that had
  // no device id when the page opened has none allowed; one that had waits for its status (unknown).
  const buyingDecision = useRef<string | null>(null);
  const [pushedRecs, setPushedRecs] = useState<RecList | null>(null);
  const [hadDevice] = useState(() => storedDeviceId() !== null);
  const recsEffective = consent.status ? recsConsentKey(consent.status.effective) : hadDevice ? null : recsConsentKey([]);
  const recsConsent: RecsConsent = useMemo(() => ({ effective: recsEffective, epoch: consentEpoch }), [recsEffective, consentEpoch]);

  useEffect(() => {
    document.title = state ? t('live.documentTitle', { title: pick(state.session.title) }) : t('live.defaultTitle');
  });

  // A like or add-to-cart refused over the socket comes back as an `error` message.
  useEffect(() => {
    const message = room.lastMessage;
    if (message?.type === 'error') {
      toaster.showError(new ApiError({ type: 'about:blank', title: message.detail, status: 0, code: message.code }));
    }
  }, [room.lastMessage]);

  useEffect(() => {
    if (room.recommendations === null) return;
    const list = parseRecList(room.recommendations);
    if (list) setPushedRecs(list);
  }, [room.recommendations]);

  const like = useCallback(() => {
    const clientEventId = newClientId();
    sendBehaviour(sessionId, 'like'); // only with a device id; the server decides what is kept
    if (room.send({ type: 'like', clientEventId })) return;
    sendRoomEvent(sessionId, { type: 'like', clientEventId }).catch(toaster.showError);
  }, [room.send, sessionId]);

  const actions: ProductActions = useMemo(
    () => ({
      onAddToCart: (product) => {
        sendRoomEvent(sessionId, { type: 'add_to_cart', clientEventId: newClientId(), productId: product.id }).then(
          () => {
            sendBehaviour(sessionId, 'add_to_cart', product.id);
            setCartCount((count) => {
              const next = count + 1;
              writeCartCount(sessionId, next);
              return next;
            });
            toaster.show('success', t('live.cart.added'));
          },
          toaster.showError,
        );
      },
      onBuy: (product) => {
        sendBehaviour(sessionId, 'click', product.id); // opening a product is a click
        buyingDecision.current = null;
        setBuying(product);
      },
      canBuy: status === 'live',
      canAddToCart: status !== 'ended',
    }),
    [sessionId, status],
  );

  // A card opened or added to the cart from the recommendations: the same acts, plus its feedback.
  const recActions: RecommendationActions = useMemo(
    () => ({
      onOpen: (product, decisionId) => {
        actions.onBuy(product);
        buyingDecision.current = decisionId;
        void sendRecFeedback(sessionId, decisionId, 'click', storedDeviceId());
      },
      onAddToCart: (product, decisionId) => {
        actions.onAddToCart(product);
        void sendRecFeedback(sessionId, decisionId, 'add_to_cart', storedDeviceId());
      },
      onReport: (product) => setReporting({ target: 'recommendation', productId: product.id, summary: pick(product.name) }),
      canBuy: actions.canBuy,
      canAddToCart: actions.canAddToCart,
    }),
    [actions, sessionId],
  );

  const onOrdered = useCallback((order: Order) => {
    setBuying(null);
    if (buyingDecision.current) void sendPurchaseFeedback(sessionId, buyingDecision.current, order.id, storedDeviceId());
    buyingDecision.current = null;
    sendBehaviour(sessionId, 'purchase', order.productId);
    const amount = formatFen(order.unitPriceFen * order.quantity);
    toaster.show('success', order.flashSaleId ? t('live.buy.successFlash', { amount }) : t('live.buy.success', { amount }));
  }, [sessionId]);

  if (!state) {
    if (room.loadError?.status === 404) return <PageMessage text={t('live.notFound')} />;
    if (room.loadError) return <PageMessage text={t('live.loadFailed')} error={room.loadError} />;
    return (
      <div class="live-page">
        <Spinner />
      </div>
    );
  }

  const buyingNow = buying ? (state.products.find((p) => p.id === buying.id) ?? buying) : null;
  const buyingSale = buyingNow ? activeFlashSaleFor(state, buyingNow.id) : undefined;
  // A sale whose time is up is not offered even if its end message is still on the way.
  const liveSale = buyingSale && buyingSale.endsAt > Date.now() + room.offsetMs ? buyingSale : undefined;

  return (
    <>
      <div class="consent-slot" data-slot="consent-banner">
        <ConsentBanner consent={consent} sessionId={sessionId} />
      </div>
      <a class="skip-link" href="#products" inert={pageInert}>
        {t('live.list.heading')}
      </a>
      <div class={`live-page${consent.view === 'compact' ? ' has-consent-bar' : ''}`} inert={pageInert}>
        <LiveHeader state={state} connection={room.connection} onPrivacy={consent.openSettings} minorsMode={isMinorMode(consent.status?.mode)} />
        <SimulatedAudienceNotice sessionId={sessionId} />
        <main class="live-main">
          <div class="live-column">
            <Stream session={state.session} />
            <EngageBar likes={state.counters.likes} cartCount={cartCount} onLike={like} canLike={state.session.status === 'live'} />
            <Showcase state={state} offsetMs={room.offsetMs} actions={actions} part="pinned" />
            {/* Right after what is on stage, before the chat and the full list (56 products can follow).
                Only while the show is on: the server ranks nothing before or after it. */}
            {state.session.status === 'live' && (
              <div data-slot="recommendations">
                <Recommendations
                  sessionId={sessionId}
                  state={state}
                  offsetMs={room.offsetMs}
                  consent={recsConsent}
                  connection={SOCKET_RECS ? room.connection : null}
                  send={room.send}
                  pushed={pushedRecs}
                  actions={recActions}
                />
              </div>
            )}
            {/* Under what is on stage and the recommendations: on a phone the full list comes after it. */}
            <ChatPanel sessionId={sessionId} room={room} products={state.products} onReport={setReporting} />
          </div>
          <div class="live-column">
            <Showcase state={state} offsetMs={room.offsetMs} actions={actions} part="list" />
          </div>
        </main>
        <footer class="live-footer">{t('live.footer')}</footer>
      </div>
      <BuyDialog
        sessionId={sessionId}
        product={buyingNow}
        sale={liveSale}
        onClose={() => {
          buyingDecision.current = null;
          setBuying(null);
        }}
        onOrdered={onOrdered}
      />
      <ReportDialog sessionId={sessionId} subject={reporting} onClose={() => setReporting(null)} />
      <ToastRegion toaster={toaster} />
    </>
  );
}

function LiveHeader(props: { state: RoomState; connection: ConnectionStatus; onPrivacy: () => void; minorsMode: boolean }): JSX.Element {
  const { state, connection, onPrivacy } = props;
  const { session, brand, counters } = state;
  const brandName = pick(brand.name);
  const operator = pick(brand.operator);
  return (
    <header class="live-header">
      <div class="live-header-top">
        <div class="brand-avatar" aria-hidden="true">
          {brandName.slice(0, 1)}
        </div>
        <div class="live-title-block">
          <h1 class="live-title">{pick(session.title)}</h1>
          <div class="live-meta">
            <StatusBadge status={session.status} testId="session-status" />
            <span data-testid="viewer-count" data-count={counters.viewers}>
              {t('live.viewers', { n: formatCount(counters.viewers) })}
            </span>
            <ConnectionIndicator status={connection} />
          </div>
        </div>
        <div class="live-header-actions">
          {props.minorsMode && (
            <span class="badge badge-minors" data-testid="minors-badge" title={t('consent.mode.minor')}>
              {t('consent.mode.minorBadge')}
            </span>
          )}
          <button type="button" class="btn btn-ghost btn-small" data-testid="privacy-button" aria-haspopup="dialog" title={t('live.privacyLabel')} onClick={onPrivacy}>
            {t('live.privacy')}
          </button>
          <LocaleSwitch />
        </div>
      </div>
      <details class="identity" data-testid="operator-identity">
        <summary>{t('live.identity.summary', { operator, licence: brand.merchantLicence })}</summary>
        <dl aria-label={t('live.identity.heading')}>
          <dt>{t('live.identity.brand')}</dt>
          <dd>{brandName}</dd>
          <dt>{t('live.identity.operator')}</dt>
          <dd>{operator}</dd>
          <dt>{t('live.identity.licence')}</dt>
          <dd>{brand.merchantLicence}</dd>
          <dt>{t('live.identity.phone')}</dt>
          <dd>
            <a href={`tel:${brand.contactPhone.replace(/[^\d+]/g, '')}`}>{brand.contactPhone}</a>
          </dd>
          <dt>{t('live.identity.email')}</dt>
          <dd>
            <a href={`mailto:${brand.contactEmail}`}>{brand.contactEmail}</a>
          </dd>
          {session.hostName && (
            <>
              <dt>{t('live.identity.host')}</dt>
              <dd>{session.hostName}</dd>
            </>
          )}
        </dl>
      </details>
    </header>
  );
}

function EngageBar(props: { likes: number; cartCount: number; onLike: () => void; canLike: boolean }): JSX.Element {
  const [popping, setPopping] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const click = (): void => {
    props.onLike();
    setPopping(false);
    clearTimeout(timer.current);
    requestAnimationFrame(() => setPopping(true));
    timer.current = setTimeout(() => setPopping(false), 400);
  };
  return (
    <div class="engage-bar">
      <button
        type="button"
        class="btn like-button"
        data-testid="like-button"
        aria-label={t('live.actions.likeLabel')}
        disabled={!props.canLike}
        onClick={click}
      >
        <span class={`like-heart${popping ? ' pop' : ''}`} aria-hidden="true">
          ❤
        </span>
        {t('live.actions.like')}
      </button>
      <span class="like-count" data-testid="like-count" data-count={props.likes} title={t('live.actions.likes')}>
        <span class="visually-hidden">{t('live.actions.likes')} </span>
        {formatCount(props.likes)}
      </span>
      {/* How many times this viewer added to the cart here (ui/cart.ts): a status, not a control — there is no cart to open. */}
      <p class="cart-status" data-testid="cart-status">
        <svg class="cart-icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
          <path d="M3 4h2l2.4 11.2a1 1 0 0 0 1 .8h9.2a1 1 0 0 0 1-.8L20 8H6.2" />
          <circle cx="9.5" cy="19.5" r="1.5" />
          <circle cx="17" cy="19.5" r="1.5" />
        </svg>
        <span aria-hidden="true">
          {t('live.cart.label')}{' '}
          <span class="cart-count" data-testid="cart-count">
            {props.cartCount}
          </span>
        </span>
        <span class="visually-hidden">{t('live.cart.count', { n: props.cartCount })}</span>
      </p>
    </div>
  );
}

/**
 * The pinned cards or the full list. Both halves tick once a second only while a flash sale runs.
 */
function Showcase(props: { state: RoomState; offsetMs: number; actions: ProductActions; part: 'pinned' | 'list' }): JSX.Element {
  const { state, actions } = props;
  const serverNow = useServerNow(props.offsetMs, state.flashSales.length > 0);
  const pinned = pinnedProducts(state).slice(0, 3);

  if (props.part === 'pinned') {
    // The list element stays in the page (hidden when empty) so tests and scripts can always find it.
    return (
      <section class="pinned-section" aria-labelledby="pinned-heading" hidden={pinned.length === 0}>
        <h2 class="section-title" id="pinned-heading">
          {t('live.pinned.heading')}
        </h2>
        <ul class="pinned-list" data-testid="pinned-list">
          {pinned.map((product) => (
            <PinnedCard
              key={product.id}
              product={product}
              sale={activeFlashSaleFor(state, product.id)}
              serverNow={serverNow}
              actions={actions}
            />
          ))}
        </ul>
      </section>
    );
  }

  const products = productsInOrder(state);
  const pinnedIds = new Set(pinned.map((p) => p.id));
  return (
    <section class="list-section" id="products" aria-labelledby="list-heading" tabIndex={-1}>
      <h2 class="section-title" id="list-heading">
        {t('live.list.heading')} <small>{t('live.list.count', { n: products.length })}</small>
      </h2>
      {products.length === 0 ? (
        <p class="muted">{t('live.list.empty')}</p>
      ) : (
        <ul class="product-list" data-testid="product-list">
          {products.map((product) => (
            <ProductRow
              key={product.id}
              product={product}
              sale={activeFlashSaleFor(state, product.id)}
              pinned={pinnedIds.has(product.id)}
              serverNow={serverNow}
              actions={actions}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
