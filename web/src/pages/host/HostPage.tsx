/**
 * The host console (/host/:id), desktop first. Runs the show through the host API: go live, end,
 * pins (≤ 3), sold-out, flash sales. Counters are shown read-only; there is no way to set them (LC4).
 * The right-hand column holds the chat: the assistant's questions for the host and moderation.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
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
import type { Counters, FlashSaleView, RoomState, ShowcaseProduct } from '../../ui/contract.ts';
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
        <HostConsole sessionId={sessionId} />
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

function HostConsole({ sessionId }: { sessionId: string }): JSX.Element {
  const room = useRoom(sessionId);
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
              {state.session.status === 'scheduled' && (
                <button type="button" class="btn btn-primary" data-testid="go-live" disabled={busy.has('session')} onClick={goLive}>
                  {t('host.goLive')}
                </button>
              )}
              {state.session.status === 'live' && (
                <button type="button" class="btn btn-danger" data-testid="end-live" disabled={busy.has('session')} onClick={() => setConfirmEnd(true)}>
                  {t('host.endLive')}
                </button>
              )}
            </div>
          </section>

          <CountersPanel counters={state.counters} />
          <FlashSalesPanel state={state} room={room} sessionId={sessionId} busy={busy} run={run} toaster={toaster} />
          <ProductsPanel state={state} room={room} sessionId={sessionId} busy={busy} run={run} toaster={toaster} onFlashSale={setFlashFor} />
          <RecommendationHealth sessionId={sessionId} state={state} />
          <RoomExperiments sessionId={sessionId} brandId={state.session.brandId} />
          <FairnessAlerts sessionId={sessionId} />
          <EnergyMeter sessionId={sessionId} />
        </div>

        <aside class="host-chat-column" aria-label={t('host.chat.columnLabel')}>
          <HandoffQueue sessionId={sessionId} chat={room.chat} toaster={toaster} />
          <ChatModeration sessionId={sessionId} status={state.session.status} chat={room.chat} toaster={toaster} />
        </aside>
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
        product={flashFor}
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
}

function FlashSalesPanel({ state, room, sessionId, busy, run, toaster }: PanelProps): JSX.Element {
  const serverNow = useServerNow(room.offsetMs, state.flashSales.length > 0);
  const byId = new Map(state.products.map((p) => [p.id, p]));
  const endNow = (sale: FlashSaleView, name: string): void =>
    run(`flash:${sale.id}`, async () => {
      const ended = await endFlashSale(sessionId, sale.id);
      room.patch((s) => withFlashSale(s, ended));
      toaster.show('success', t('host.flash.endedToast', { name }));
    });
  return (
    <section class="card panel" aria-labelledby="flash-heading" data-testid="active-flash-sales">
      <div class="panel-head">
        <h2 class="section-title" id="flash-heading">
          {t('host.flash.activeHeading')}
        </h2>
      </div>
      {state.flashSales.length === 0 ? (
        <p class="muted">{t('host.flash.none')}</p>
      ) : (
        <ul class="flash-list">
          {state.flashSales.map((sale) => {
            const product = byId.get(sale.productId);
            const name = product ? pick(product.name) : sale.productId;
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
                <button
                  type="button"
                  class="btn btn-danger btn-small"
                  data-testid="flash-sale-end"
                  disabled={busy.has(`flash:${sale.id}`)}
                  onClick={() => endNow(sale, name)}
                >
                  {t('host.flash.endNow')}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function ProductsPanel(props: PanelProps & { onFlashSale: (product: ShowcaseProduct) => void }): JSX.Element {
  const { state, room, sessionId, busy, run, toaster } = props;
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
      {status !== 'live' && (
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
                <th scope="col">{t('host.products.columns.actions')}</th>
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
                    <td>
                      <div class="row-actions">
                        {isPinned ? (
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
                        )}
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
                      </div>
                    </td>
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
