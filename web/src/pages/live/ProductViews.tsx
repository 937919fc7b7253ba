/** Product cards for the viewer: pinned (big) and list rows, with real prices and real flash sales. */
import type { JSX } from 'preact';
import { categoryLabel, pick, t } from '../../i18n/index.ts';
import { PoliteAnnouncer } from '../../ui/components.tsx';
import type { FlashSaleView, ShowcaseProduct } from '../../ui/contract.ts';
import { formatCountdown, minutesLeft, remainingMs } from '../../ui/countdown.ts';
import { formatClock } from '../../ui/format.ts';
import { formatFen } from '../../ui/money.ts';

export interface ProductActions {
  onAddToCart: (product: ShowcaseProduct) => void;
  onBuy: (product: ShowcaseProduct) => void;
  /** The server takes orders only while live, and nothing after the end. */
  canBuy: boolean;
  canAddToCart: boolean;
}

/** The normal price with the list price struck through only when it is really higher. */
function PriceRow({ product, large }: { product: ShowcaseProduct; large?: boolean }): JSX.Element {
  return (
    <div class="price-row">
      <span class={`price${large ? ' price-large' : ''}`}>
        <span class="visually-hidden">{t('live.price.current')} </span>
        {formatFen(product.priceFen)}
      </span>
      {product.listPriceFen > product.priceFen && (
        <s class="price-list">
          <span class="visually-hidden">{t('live.price.list')} </span>
          {formatFen(product.listPriceFen)}
        </s>
      )}
    </div>
  );
}

function StockTag({ product }: { product: ShowcaseProduct }): JSX.Element {
  return product.soldOut ? (
    <span class="badge badge-sold-out" data-testid="sold-out-badge">
      {t('live.stock.soldOut')}
    </span>
  ) : (
    <span class="badge badge-ok">{t('live.stock.inStock')}</span>
  );
}

/**
 * A running flash sale: its price, the real price before it (LC5), its window, what is really
 * left and a countdown to its real end (A9). Screen readers hear it when the minutes or the
 * remaining count change, not every second.
 */
export function FlashSaleBox(props: { sale: FlashSaleView; product: ShowcaseProduct; serverNow: number }): JSX.Element {
  const { sale, product, serverNow } = props;
  const leftMs = remainingMs(sale, serverNow);
  const ended = leftMs === 0;
  const name = pick(product.name);
  const announcement = ended
    ? t('live.flash.announceEnded', { name })
    : t('live.flash.announce', { name, minutes: minutesLeft(leftMs), n: sale.remaining });
  return (
    <div class={`flash-box${ended ? ' is-ended' : ''}`} data-testid="flash-sale" data-product-id={product.id} data-flash-sale-id={sale.id}>
      <div class="flash-head">
        <span class="badge badge-flash">{t('live.flash.label')}</span>
        <span>
          {t('live.flash.price')} <span class="flash-price">{formatFen(sale.priceFen)}</span>
        </span>
        <span>
          {t('live.flash.previous')} <s>{formatFen(sale.previousPriceFen)}</s>
        </span>
      </div>
      <div class="flash-line">
        {!ended && (
          <span class="flash-remaining" data-testid="flash-remaining" data-remaining={sale.remaining}>
            {sale.remaining > 0 ? t('live.flash.remaining', { n: sale.remaining }) : t('live.stock.soldOut')}
          </span>
        )}
        <span>{t('live.flash.limit', { n: sale.quantity })}</span>
      </div>
      <div class="flash-line">
        <span>
          {!ended && <>{t('live.flash.endsIn')} </>}
          <span class="flash-countdown" role="timer" data-testid="flash-countdown" data-ends-at={sale.endsAt}>
            {ended ? t('live.flash.ended') : formatCountdown(leftMs)}
          </span>
        </span>
        <span>{t('live.flash.window', { start: formatClock(sale.startsAt), end: formatClock(sale.endsAt) })}</span>
      </div>
      <PoliteAnnouncer text={announcement} />
    </div>
  );
}

function Actions({ product, actions }: { product: ShowcaseProduct; actions: ProductActions }): JSX.Element {
  const name = pick(product.name);
  return (
    <div class="product-actions">
      <button
        type="button"
        class="btn btn-secondary btn-small"
        data-testid="add-to-cart"
        disabled={product.soldOut || !actions.canAddToCart}
        aria-label={`${t('live.actions.addToCart')}：${name}`}
        onClick={() => actions.onAddToCart(product)}
      >
        {t('live.actions.addToCart')}
      </button>
      <button
        type="button"
        class="btn btn-primary btn-small"
        data-testid="buy-button"
        disabled={product.soldOut || !actions.canBuy}
        aria-label={`${t('live.actions.buy')}：${name}`}
        onClick={() => actions.onBuy(product)}
      >
        {t('live.actions.buy')}
      </button>
    </div>
  );
}

export function PinnedCard(props: {
  product: ShowcaseProduct;
  sale: FlashSaleView | undefined;
  serverNow: number;
  actions: ProductActions;
}): JSX.Element {
  const { product, sale } = props;
  const name = pick(product.name);
  return (
    <li class="card pinned-card" data-testid="pinned-item" data-product-id={product.id}>
      <img class="product-image" src={product.imageUrl} alt={name} width={116} height={116} loading="lazy" />
      <div class="product-body">
        <div class="tag-row">
          <span class="badge badge-pinned">{t('live.pinned.heading')}</span>
          <StockTag product={product} />
        </div>
        <h3 class="product-name">{name}</h3>
        {sale ? <FlashSaleBox sale={sale} product={product} serverNow={props.serverNow} /> : <PriceRow product={product} large />}
        <Actions product={product} actions={props.actions} />
      </div>
    </li>
  );
}

/** A list row. A flash sale is told in full here unless the product is pinned (told there once). */
export function ProductRow(props: {
  product: ShowcaseProduct;
  sale: FlashSaleView | undefined;
  pinned: boolean;
  serverNow: number;
  actions: ProductActions;
}): JSX.Element {
  const { product, sale, pinned } = props;
  const name = pick(product.name);
  return (
    <li
      class={`card product-row${product.soldOut ? ' is-sold-out' : ''}`}
      data-testid="product-item"
      data-product-id={product.id}
      data-sold-out={product.soldOut ? 'true' : 'false'}
    >
      <img class="product-image" src={product.imageUrl} alt={name} width={84} height={84} loading="lazy" />
      <div class="product-body">
        <h3 class="product-name">{name}</h3>
        <div class="tag-row">
          <span class="badge badge-category">{categoryLabel(product.category)}</span>
          {pinned && <span class="badge badge-pinned">{t('live.pinned.heading')}</span>}
          {product.soldOut && (
            <span class="badge badge-sold-out" data-testid="sold-out-badge">
              {t('live.stock.soldOut')}
            </span>
          )}
          {sale && pinned && (
            <span class="badge badge-flash" data-testid="flash-sale-tag">
              {t('live.flash.tag', { price: formatFen(sale.priceFen) })}
            </span>
          )}
        </div>
        {sale && !pinned ? <FlashSaleBox sale={sale} product={product} serverNow={props.serverNow} /> : <PriceRow product={product} />}
        <Actions product={product} actions={props.actions} />
      </div>
    </li>
  );
}
