/** Quantity, price and total for one product, then POST /orders; the paid price comes back from the server. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { ApiError } from '../../ui/api.ts';
import { Dialog, ProblemMessage } from '../../ui/components.tsx';
import type { FlashSaleView, Order, ShowcaseProduct } from '../../ui/contract.ts';
import { storedDeviceId } from '../../ui/device.ts';
import { newClientId } from '../../ui/ids.ts';
import { formatFen } from '../../ui/money.ts';
import { placeOrderAs } from './privacy-api.ts';

const MAX_PER_ORDER = 99;

export function BuyDialog(props: {
  sessionId: string;
  product: ShowcaseProduct | null;
  sale: FlashSaleView | undefined;
  onClose: () => void;
  onOrdered: (order: Order) => void;
}): JSX.Element {
  const { product, sale } = props;
  const [quantity, setQuantity] = useState(1);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One id per opened dialog: a retried submit is the same order to the server.
  const [clientOrderId, setClientOrderId] = useState(newClientId);

  useEffect(() => {
    setQuantity(1);
    setError(null);
    setSubmitting(false);
    setClientOrderId(newClientId());
  }, [product?.id]);

  const unitFen = sale && sale.remaining > 0 ? sale.priceFen : (product?.priceFen ?? 0);
  const limit = Math.max(1, Math.min(MAX_PER_ORDER, product?.stock ?? 1, sale && sale.remaining > 0 ? sale.remaining : MAX_PER_ORDER));
  const clamp = (n: number): number => Math.min(limit, Math.max(1, Math.trunc(Number.isFinite(n) ? n : 1)));

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!product || submitting) return;
    setSubmitting(true);
    setError(null);
    try {
      // The price shown is the price charged: if it changed meanwhile, the server refuses (PRICE_CHANGED).
      // With a device id (the viewer decided) the server applies minors' spending limits; none is made here.
      const order = { productId: product.id, quantity, clientOrderId, expectedUnitPriceFen: unitFen };
      const placed = await placeOrderAs(props.sessionId, order, storedDeviceId());
      props.onOrdered(placed.order);
      return;
    } catch (failure) {
      setError(failure);
      setClientOrderId(newClientId()); // the refused attempt is done; a new try is a new order
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Dialog open={product !== null} title={t('live.buy.title')} onClose={props.onClose} testId="buy-dialog">
      {product && (
        <form onSubmit={submit} noValidate>
          <div class="buy-summary">
            <img class="product-image" src={product.imageUrl} alt="" width={84} height={84} />
            <div class="product-body">
              <p class="product-name">
                {pick(product.name)}
              </p>
              <div class="price-row">
                <span class="muted">{sale && sale.remaining > 0 ? t('live.buy.flashPrice') : t('live.buy.unitPrice')}</span>
                <span class="price">{formatFen(unitFen)}</span>
                {sale && sale.remaining > 0 && <s class="price-list">{formatFen(sale.previousPriceFen)}</s>}
              </div>
            </div>
          </div>
          <div class="field">
            <label for="buy-quantity">{t('live.buy.quantity')}</label>
            <div class="stepper">
              <button
                type="button"
                class="btn btn-ghost"
                aria-label={t('live.buy.decrease')}
                disabled={quantity <= 1}
                onClick={() => setQuantity((q) => clamp(q - 1))}
              >
                −
              </button>
              <input
                id="buy-quantity"
                class="input"
                type="number"
                inputMode="numeric"
                min={1}
                max={limit}
                step={1}
                value={quantity}
                data-testid="buy-quantity"
                onInput={(e) => setQuantity(clamp(Number(e.currentTarget.value)))}
              />
              <button
                type="button"
                class="btn btn-ghost"
                aria-label={t('live.buy.increase')}
                disabled={quantity >= limit}
                onClick={() => setQuantity((q) => clamp(q + 1))}
              >
                +
              </button>
            </div>
          </div>
          <div class="price-compare">
            <span>{t('live.buy.total')}</span>
            <span class="price price-large" data-testid="buy-total">
              {formatFen(unitFen * quantity)}
            </span>
          </div>
          <p class="field-hint">{t('live.buy.priceNote')}</p>
          {error instanceof ApiError && error.code === 'SPENDING_LIMIT_REACHED' ? (
            <p class="problem" role="alert" data-testid="spending-limit">
              {t('live.buy.spendingLimit')}
            </p>
          ) : (
            error !== null && <ProblemMessage error={error} />
          )}
          <div class="dialog-actions">
            <button type="button" class="btn btn-ghost" onClick={props.onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="btn btn-primary" disabled={submitting} data-testid="buy-submit">
              {submitting ? t('live.buy.submitting') : t('live.buy.submit')}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
