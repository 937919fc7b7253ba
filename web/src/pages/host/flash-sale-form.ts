/** The flash-sale form's rules, apart from the dialog so they are tested without a DOM. */
import { t } from '../../i18n/index.ts';
import type { ShowcaseProduct } from '../../ui/contract.ts';
import { fenToYuanString, formatFen, parseYuanToFen } from '../../ui/money.ts';

export const DURATION_PRESETS = [60, 300, 600] as const;
export const MIN_DURATION_S = 10;
export const MAX_DURATION_S = 86_400;

export interface FlashSaleInput {
  price: string;
  quantity: string;
  durationSeconds: string;
}

export type FlashSaleErrors = Partial<Record<keyof FlashSaleInput, string>>;

/** Checks the form against the product's real price and stock; returns the request or the errors. */
export function validateFlashSale(
  input: FlashSaleInput,
  product: Pick<ShowcaseProduct, 'id' | 'priceFen' | 'stock'>,
): { ok: true; value: { productId: string; price: string; quantity: number; durationSeconds: number } } | { ok: false; errors: FlashSaleErrors } {
  const errors: FlashSaleErrors = {};
  const fen = parseYuanToFen(input.price);
  if (fen === null || fen <= 0) errors.price = t('host.flash.invalidPrice');
  else if (fen >= product.priceFen) errors.price = t('host.flash.priceNotLower', { price: formatFen(product.priceFen) });
  const quantity = Number(input.quantity);
  if (!/^\d+$/.test(input.quantity.trim()) || quantity < 1 || quantity > product.stock) {
    errors.quantity = t('host.flash.invalidQuantity', { max: product.stock });
  }
  const duration = Number(input.durationSeconds);
  if (!/^\d+$/.test(input.durationSeconds.trim()) || duration < MIN_DURATION_S || duration > MAX_DURATION_S) {
    errors.durationSeconds = t('host.flash.invalidDuration', { min: MIN_DURATION_S, max: MAX_DURATION_S });
  }
  if (fen === null || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { productId: product.id, price: fenToYuanString(fen), quantity, durationSeconds: duration } };
}
