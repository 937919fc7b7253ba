/**
 * The host console (/host/:id), desktop first. Runs the show through the host API: go live, end,
 * pins (≤ 3), sold-out, flash sales. Counters are shown read-only; there is no way to set them (LC4).
 * The right-hand column holds the chat: the assistant's questions for the host and moderation.
 * Each role sees only the controls the server would accept from it (host-abilities.ts): a moderator
 * gets the chat and the figures, and a note saying the rest is the host's.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { endFlashSale, endSession, pinProduct, setSoldOut, startSession, unpinProduct } from '../../ui/api.ts';
import { useStaff } from '../../ui/auth.ts';
import {
  ConnectionIndicator,
  Dialog,
  PoliteAnnouncer,
  ProblemMessage,
  Spinner,
  StatusBadge,
  ToastRegion,
  useToaster,
  type Toaster,
} from '../../ui/components.tsx';
import type { Counters, FlashSaleView, RoomState, ShowcaseProduct, StaffRole } from '../../ui/contract.ts';
import { formatCountdown, remainingMs, useServerNow, useThrottledText } from '../../ui/countdown.ts';
import { formatCount, formatDateTime } from '../../ui/format.ts';
import { sessionIdFromPath } from '../../ui/location.ts';
import { formatFen } from '../../ui/money.ts';
import { activeFlashSaleFor, productsInOrder, withFlashSale, withPins, withSession, withSoldOut } from '../../ui/room-state.ts';
import { useRoom, type RoomHandle } from '../../ui/use-room.ts';
import { RoleRefused, StaffHeader, StaffPending } from '../../ui/staff-header.tsx';
import { ChatModeration } from './ChatModeration.tsx';
import { EnergyMeter } from './EnergyMeter.tsx';
import { FairnessAlerts } from './FairnessAlerts.tsx';
import { FlashSaleDialog } from './FlashSaleDialog.tsx';
import { soldOutToAnnounce, SOLD_OUT_NOTICE_MS, withNotices, type SoldOutNotice } from './flash-notices.ts';
import { hostAbilities, isShowReadOnly, type HostAbilities } from './host-abilities.ts';
import { HandoffQueue } from './HandoffQueue.tsx';
import { RecommendationHealth } from './RecommendationHealth.tsx';
import { RoomExperiments } from './RoomExperiments.tsx';
import { SimulatedAudienceNotice } from '../../ui/simulated.tsx';

/** The server's limit (config maxPinnedProducts, 3 by default); the server refuses a 4th pin either way. */
export const MAX_PINS = 3;

export function HostPage(): JSX.Element {
  const staff = useStaff();
  const sessionId = sessionIdFromPath(location.pathname, 'host');
  if (staff.kind !== 'signed-in') return <StaffPending staff={staff} />;
  if (staff.user.role === 'compliance') return <RoleRefused user={staff.user} title={t('host.title')} />;
  return (
    <>
      <StaffHeader user={staff.user} title={t('host.title')} />
      {sessionId ? (
        <HostConsole sessionId={sessionId} role={staff.user.role} userName={staff.user.name} />
      ) : (
        <main class="page-message">
          <h1>{t('errors.codes.SESSION_NOT_FOUND')}</h1>
        </main>
      )}
    </>
  );
}

/** Runs one host action at a time per key, showing the server's problem when it refuses. */
function useAction(toaster: Toaster): { busy: Set<string>; run: (key: string, action: () => Promise<void>) => void } {
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const run = useCallback(
    (key: string, action: () => Promise<void>) => {
      setBusy((current) => new Set(current).add(key));
      action()
        .catch(toaster.showError)
        .finally(() =>
          setBusy((current) => {
            const next = new Set(current);
            next.delete(key);
            return next;
          }),
        );
    },
    [toaster.showError],
  );
  return { busy, run };
}

function HostConsole({ sessionId, role, userName }: { sessionId: string; role: StaffRole; userName: string }): JSX.Element {
  const room = useRoom(sessionId);
  // A host runs only the sessions they are assigned to (the room names its host by account name).
  const hostsThis = !room.state || room.state.session.hostName === userName;
  const can = hostAbilities(role, hostsThis);
  const toaster = useToaster();
  const { busy, run } = useAction(toaster);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [flashFor, setFlashFor] = useState<ShowcaseProduct | null>(null);
  const { state } = room;
  const title = state ? pick(state.session.title) : null;
  useEffect(() => {
    document.title = title ? t('host.documentTitle', { title }) : t('host.title');
  });

  if (!state) {
    if (room.loadError) {
      return (
        <main class="page-message">
          <ProblemMessage error={room.loadError} />
        </main>
      );
    }
    return <Spinner />;
  }

  const goLive = (): void =>
    run('session', async () => {
      const { session } = await startSession(sessionId);
      room.patch((s) => withSession(s, session));
      toaster.show('success', t('host.started'));
    });
  const endLive = (): void => {
    setConfirmEnd(false);
    run('session', async () => {
      const { session } = await endSession(sessionId);
      room.patch((s) => withSession(s, session));
      toaster.show('success', t('host.ended'));
    });
  };

  return (
    <>
      <main class="host-main has-chat">
        <SimulatedAudienceNotice sessionId={sessionId} />
        <div class="host-column">
          <section class="card panel session-panel" aria-labelledby="session-title">
            <div class="session-info">
              <span class="muted">{t('host.session')}</span>
              <h1 id="session-title">{pick(state.session.title)}</h1>
              <div class="session-info-line">
                <StatusBadge status={state.session.status} testId="session-status" />
                <ConnectionIndicator status={room.connection} />
                {state.session.startedAt !== null && <span>{t('host.startedAt', { time: formatDateTime(state.session.startedAt) })}</span>}
                {state.session.endedAt !== null && <span>{t('host.endedAt', { time: formatDateTime(state.session.endedAt) })}</span>}
                <a href={`/live/${encodeURIComponent(sessionId)}`} target="_blank" rel="noopener">
                  {t('host.viewerPage')}
                </a>
              </div>
            </div>
            <div class="session-actions">
              {can.runShow && state.session.status === 'scheduled' && (
                <button type="button" class="btn btn-primary" data-testid="go-live" disabled={busy.has('session')} onClick={goLive}>
                  {t('host.goLive')}
                </button>
              )}
              {can.runShow && state.session.status === 'live' && (
                <button type="button" class="btn btn-danger" data-testid="end-live" disabled={busy.has('session')} onClick={() => setConfirmEnd(true)}>
                  {t('host.endLive')}
                </button>
              )}
            </div>
          </section>
          {isShowReadOnly(can) && (
            <p class="role-note" role="note" data-testid="host-role-note" data-role={role}>
              {role === 'host' && !hostsThis ? t('host.notYourSession') : t('host.roleNote', { role: t(`common.roles.${role}`) })}
            </p>
          )}

          <CountersPanel counters={state.counters} />
          <FlashSalesPanel state={state} room={room} sessionId={sessionId} busy={busy} run={run} toaster={toaster} can={can} />
          <ProductsPanel state={state} room={room} sessionId={sessionId} busy={busy} run={run} toaster={toaster} can={can} onFlashSale={setFlashFor} />
          {can.recommendationHealth && <RecommendationHealth sessionId={sessionId} state={state} />}
          <RoomExperiments sessionId={sessionId} brandId={state.session.brandId} />
          <FairnessAlerts sessionId={sessionId} canRunCheck={can.runFairnessCheck} />
          {can.energy && <EnergyMeter sessionId={sessionId} />}
        </div>

        {can.moderateChat && (
          <aside class="host-chat-column" aria-label={t('host.chat.columnLabel')}>
            <HandoffQueue sessionId={sessionId} chat={room.chat} toaster={toaster} />
            <ChatModeration sessionId={sessionId} status={state.session.status} chat={room.chat} toaster={toaster} />
          </aside>
        )}
      </main>

      <Dialog open={confirmEnd} title={t('host.endConfirmTitle')} onClose={() => setConfirmEnd(false)} testId="end-live-dialog">
        <p>{t('host.endConfirmBody')}</p>
        <div class="dialog-actions">
          <button type="button" class="btn btn-ghost" onClick={() => setConfirmEnd(false)}>
            {t('common.cancel')}
          </button>
          <button type="button" class="btn btn-danger-solid" data-testid="end-live-confirm" onClick={endLive}>
            {t('host.endLive')}
          </button>
        </div>
      </Dialog>
      <FlashSaleDialog
        sessionId={sessionId}
        product={can.flashSales ? flashFor : null}
        onClose={() => setFlashFor(null)}
        onStarted={(sale, product) => {
          setFlashFor(null);
          room.patch((s) => withFlashSale(s, sale));
          toaster.show('success', t('host.flash.started', { name: pick(product.name) }));
        }}
      />
      <ToastRegion toaster={toaster} />
    </>
  );
}

function CountersPanel({ counters }: { counters: Counters }): JSX.Element {
  const items: { key: keyof Counters; testId: string; label: string }[] = [
    { key: 'viewers', testId: 'counter-viewers', label: t('host.counters.viewers') },
    { key: 'likes', testId: 'counter-likes', label: t('host.counters.likes') },
    { key: 'addToCart', testId: 'counter-add-to-cart', label: t('host.counters.addToCart') },
    { key: 'orders', testId: 'counter-orders', label: t('host.counters.orders') },
    { key: 'unitsSold', testId: 'counter-units-sold', label: t('host.counters.unitsSold') },
  ];
  // Counters move with every event; screen readers get a summary at most once a minute.
  const summary = useThrottledText(t('host.counters.announce', counters), 60_000);
  return (
    <section class="card panel" aria-labelledby="counters-heading">
      <div class="panel-head">
        <h2 class="section-title" id="counters-heading">
          {t('host.counters.heading')} <small>{t('host.counters.note')}</small>
        </h2>
      </div>
      <dl class="counters" data-testid="counters">
        {items.map((item) => (
          <div class="counter" key={item.key}>
            <dt>{item.label}</dt>
            <dd data-testid={item.testId} data-count={counters[item.key]}>
              {formatCount(counters[item.key])}
            </dd>
          </div>
        ))}
      </dl>
      <PoliteAnnouncer text={summary} />
    </section>
  );
}

interface PanelProps {
  state: RoomState;
  room: RoomHandle;
  sessionId: string;
  busy: Set<string>;
  run: (key: string, action: () => Promise<void>) => void;
  toaster: Toaster;
  /** What this role may do (host-abilities.ts). */
  can: HostAbilities;
}

function FlashSalesPanel({ state, room, sessionId, busy, run, toaster, can }: PanelProps): JSX.Element {
  const serverNow = useServerNow(room.offsetMs, state.flashSales.length > 0);
  const byId = new Map(state.products.map((p) => [p.id, p]));
  const nameOf = (productId: string): string => {
    const product = byId.get(productId);
    return product ? pick(product.name) : productId;
  };
  const [confirming, setConfirming] = useState<FlashSaleView | null>(null);
  const notices = useSoldOutNotices(room.endedFlashSales);
  // A sale that ends while its dialog is open (sold out, on time, another console): nothing left to confirm.
  const confirmingId = confirming?.id ?? null;
  const stillRunning = confirmingId !== null && state.flashSales.some((sale) => sale.id === confirmingId);
  useEffect(() => {
    if (confirmingId !== null && !stillRunning) setConfirming(null);
  }, [confirmingId, stillRunning]);

  const endNow = (sale: FlashSaleView): void => {
    setConfirming(null);
    const name = nameOf(sale.productId);
    run(`flash:${sale.id}`, async () => {
      const ended = await endFlashSale(sessionId, sale.id);
      room.patch((s) => withFlashSale(s, ended));
      toaster.show('success', t('host.flash.endedToast', { name }));
    });
  };
  const shownSale = confirming ? (state.flashSales.find((sale) => sale.id === confirming.id) ?? confirming) : null;
  return (
    <section class="card panel" aria-labelledby="flash-heading" data-testid="active-flash-sales">
      <div class="panel-head">
        <h2 class="section-title" id="flash-heading">
          {t('host.flash.activeHeading')}
        </h2>
      </div>
      {/* Present before any notice, so screen readers hear each one (politely). */}
      <div class="flash-notices" role="status" data-testid="flash-sold-out-notices">
        {notices.map((notice) => (
          <p class="flash-notice" key={notice.flashSaleId} data-testid="flash-sold-out-notice" data-flash-sale-id={notice.flashSaleId} data-product-id={notice.productId}>
            {t('host.flash.soldOutNotice', { name: nameOf(notice.productId) })}
          </p>
        ))}
      </div>
      {state.flashSales.length === 0 ? (
        <p class="muted">{t('host.flash.none')}</p>
      ) : (
        <ul class="flash-list">
          {state.flashSales.map((sale) => {
            const name = nameOf(sale.productId);
            const leftMs = remainingMs(sale, serverNow);
            return (
              <li class="flash-item" key={sale.id} data-testid="host-flash-sale" data-product-id={sale.productId} data-flash-sale-id={sale.id}>
                <span class="flash-item-name">{name}</span>
                <span>
                  <strong>{formatFen(sale.priceFen)}</strong> <s>{formatFen(sale.previousPriceFen)}</s>
                </span>
                <span data-testid="flash-remaining">{t('host.flash.remaining', { n: sale.remaining, quantity: sale.quantity })}</span>
                <span>
                  {t('host.flash.endsIn')}{' '}
                  <span class="flash-countdown" role="timer" data-testid="flash-countdown">
                    {leftMs > 0 ? formatCountdown(leftMs) : t('live.flash.ended')}
                  </span>
                </span>
                {can.flashSales && (
                  <button
                    type="button"
                    class="btn btn-danger btn-small"
                    data-testid="flash-sale-end"
                    disabled={busy.has(`flash:${sale.id}`)}
                    aria-label={t('host.flash.endLabel', { name })}
                    aria-haspopup="dialog"
                    onClick={() => setConfirming(sale)}
                  >
                    {t('host.flash.endNow')}
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Dialog
        open={shownSale !== null}
        title={shownSale ? t('host.flash.endConfirmTitle', { name: nameOf(shownSale.productId) }) : ''}
        onClose={() => setConfirming(null)}
        testId="flash-end-dialog"
      >
        {shownSale && (
          <>
            <p data-testid="flash-end-body">{t('host.flash.endConfirmBody', { price: formatFen(shownSale.priceFen), n: shownSale.remaining })}</p>
            <div class="dialog-actions">
              <button type="button" class="btn btn-ghost" data-testid="flash-end-cancel" onClick={() => setConfirming(null)}>
                {t('common.cancel')}
              </button>
              <button type="button" class="btn btn-danger-solid" data-testid="flash-end-confirm" onClick={() => endNow(shownSale)}>
                {t('host.flash.endNow')}
              </button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}

/** Sold-out notices for the flash sales the socket says sold out: each shown once, for SOLD_OUT_NOTICE_MS. */
function useSoldOutNotices(ended: readonly FlashSaleView[]): SoldOutNotice[] {
  const [notices, setNotices] = useState<SoldOutNotice[]>([]);
  const announced = useRef(new Set<string>());
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const fresh = soldOutToAnnounce(ended, announced.current);
    if (fresh.length === 0) return;
    for (const notice of fresh) announced.current.add(notice.flashSaleId);
    setNotices((shown) => withNotices(shown, fresh));
    const ids = new Set(fresh.map((notice) => notice.flashSaleId));
    const timer = setTimeout(() => {
      timers.current.delete(timer);
      setNotices((shown) => shown.filter((notice) => !ids.has(notice.flashSaleId)));
    }, SOLD_OUT_NOTICE_MS);
    timers.current.add(timer);
  }, [ended]);
  useEffect(() => {
    const pending = timers.current;
    return () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    };
  }, []);
  return notices;
}

function ProductsPanel(props: PanelProps & { onFlashSale: (product: ShowcaseProduct) => void }): JSX.Element {
  const { state, room, sessionId, busy, run, toaster, can } = props;
  // A role without the host routes (a moderator) reads the table without an actions column.
  const showActions = can.editShowcase || can.flashSales;
  const pinCount = state.pins.length;
  const pinsFull = pinCount >= MAX_PINS;
  const products = productsInOrder(state);
  const pinned = new Set(state.pins);
  // What the server allows in this state of the show (src/modules/live-room/service.ts): no pin once
  // it has ended, and a flash sale only while live.
  const status = state.session.status;
  const canPin = status !== 'ended';
  const canFlash = status === 'live';

  const togglePin = (product: ShowcaseProduct): void =>
    run(`pin:${product.id}`, async () => {
      const name = pick(product.name);
      if (pinned.has(product.id)) {
        const { pins } = await unpinProduct(sessionId, product.id);
        room.patch((s) => withPins(s, pins, Date.now() + room.offsetMs));
        toaster.show('success', t('host.products.unpinnedToast', { name }));
      } else {
        const { pins } = await pinProduct(sessionId, product.id);
        room.patch((s) => withPins(s, pins, Date.now() + room.offsetMs));
        toaster.show('success', t('host.products.pinnedToast', { name }));
      }
    });

  const toggleSoldOut = (product: ShowcaseProduct): void =>
    run(`soldout:${product.id}`, async () => {
      const answer = await setSoldOut(sessionId, product.id, !product.markedSoldOut);
      room.patch((s) => withSoldOut(s, answer));
      const name = pick(product.name);
      toaster.show('success', answer.markedSoldOut ? t('host.products.soldOutToast', { name }) : t('host.products.unsoldOutToast', { name }));
    });

  return (
    <section class="card panel" aria-labelledby="products-heading">
      <div class="panel-head">
        <h2 class="section-title" id="products-heading">
          {t('host.products.heading')}
        </h2>
        <span class={`pin-count${pinsFull ? ' is-full' : ''}`} data-testid="pin-count" data-count={pinCount} aria-live="polite">
          {t('host.products.pinCount', { n: pinCount, max: MAX_PINS })}
        </span>
      </div>
      {!showActions && (
        <p class="muted" data-testid="host-products-read-only">
          {t('host.products.readOnlyNote')}
        </p>
      )}
      {showActions && status !== 'live' && (
        <p class="muted" data-testid="host-products-note">
          {status === 'ended' ? t('host.products.endedNote') : t('host.products.flashNeedsLive')}
        </p>
      )}
      {products.length === 0 ? (
        <p class="muted">{t('host.products.empty')}</p>
      ) : (
        <div class="table-wrap">
          <table class="product-table">
            <thead>
              <tr>
                <th scope="col">{t('host.products.columns.image')}</th>
                <th scope="col">{t('host.products.columns.sku')}</th>
                <th scope="col">{t('host.products.columns.name')}</th>
                <th scope="col" class="num">
                  {t('host.products.columns.price')}
                </th>
                <th scope="col" class="num">
                  {t('host.products.columns.stock')}
                </th>
                <th scope="col">{t('host.products.columns.status')}</th>
                {showActions && <th scope="col">{t('host.products.columns.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {products.map((product) => {
                const isPinned = pinned.has(product.id);
                const sale = activeFlashSaleFor(state, product.id);
                const name = pick(product.name);
                return (
                  <tr key={product.id} class={isPinned ? 'is-pinned' : undefined} data-testid="host-product-row" data-product-id={product.id}>
                    <td>
                      <img class="thumb" src={product.imageUrl} alt="" width={48} height={48} loading="lazy" />
                    </td>
                    <td class="sku">{product.sku}</td>
                    <th scope="row" class="name-cell">
                      {name}
                    </th>
                    <td class="num">
                      <span class="price">{formatFen(product.priceFen)}</span>
                    </td>
                    <td class="num" data-testid="host-stock">
                      {product.stock}
                    </td>
                    <td>
                      <div class="tag-row">
                        {isPinned && <span class="badge badge-pinned">{t('host.products.status.pinned')}</span>}
                        {sale && <span class="badge badge-flash">{t('host.products.status.flash')}</span>}
                        {product.markedSoldOut ? (
                          <span class="badge badge-sold-out">{t('host.products.status.markedSoldOut')}</span>
                        ) : product.soldOut ? (
                          <span class="badge badge-sold-out">{t('host.products.status.soldOut')}</span>
                        ) : (
                          !isPinned && !sale && <span class="badge badge-ok">{t('host.products.status.onSale')}</span>
                        )}
                      </div>
                    </td>
                    {showActions && (
                      <td>
                        <div class="row-actions">
                          {can.editShowcase &&
                            (isPinned ? (
                              <button
                                type="button"
                                class="btn btn-secondary btn-small"
                                data-testid="unpin-button"
                                disabled={busy.has(`pin:${product.id}`)}
                                aria-label={`${t('common.labelPrefix', { label: t('host.products.unpin') })}${name}`}
                                onClick={() => togglePin(product)}
                              >
                                {t('host.products.unpin')}
                              </button>
                            ) : (
                              <button
                                type="button"
                                class="btn btn-primary btn-small"
                                data-testid="pin-button"
                                disabled={!canPin || pinsFull || busy.has(`pin:${product.id}`)}
                                title={pinsFull ? t('host.products.pinLimit', { max: MAX_PINS }) : undefined}
                                aria-label={`${t('common.labelPrefix', { label: t('host.products.pin') })}${name}`}
                                onClick={() => togglePin(product)}
                              >
                                {t('host.products.pin')}
                              </button>
                            ))}
                          {can.editShowcase && (
                            <button
                              type="button"
                              class="btn btn-ghost btn-small"
                              data-testid="sold-out-toggle"
                              disabled={busy.has(`soldout:${product.id}`)}
                              aria-label={`${t('common.labelPrefix', { label: product.markedSoldOut ? t('host.products.unmarkSoldOut') : t('host.products.markSoldOut') })}${name}`}
                              onClick={() => toggleSoldOut(product)}
                            >
                              {product.markedSoldOut ? t('host.products.unmarkSoldOut') : t('host.products.markSoldOut')}
                            </button>
                          )}
                          {can.flashSales && (
                            <button
                              type="button"
                              class="btn btn-flash btn-small"
                              data-testid="flash-sale-button"
                              disabled={!canFlash || sale !== undefined || product.soldOut || product.stock <= 0}
                              aria-label={`${t('common.labelPrefix', { label: t('host.products.flashSale') })}${name}`}
                              onClick={() => props.onFlashSale(product)}
                            >
                              {t('host.products.flashSale')}
                            </button>
                          )}
                        </div>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
