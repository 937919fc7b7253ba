/**
 * Starting a flash sale: a price below the real current price, a quantity within real stock and a
 * duration. The dialog shows the real previous price, which viewers will see beside the sale (LC5).
 */
import type { JSX, TargetedEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { pick, t } from '../../i18n/index.ts';
import { startFlashSale } from '../../ui/api.ts';
import { Dialog, ProblemMessage } from '../../ui/components.tsx';
import type { FlashSaleView, ShowcaseProduct } from '../../ui/contract.ts';
import { formatFen } from '../../ui/money.ts';
import { DURATION_PRESETS, MAX_DURATION_S, MIN_DURATION_S, validateFlashSale, type FlashSaleErrors, type FlashSaleInput } from './flash-sale-form.ts';

export function FlashSaleDialog(props: {
  sessionId: string;
  product: ShowcaseProduct | null;
  onClose: () => void;
  onStarted: (sale: FlashSaleView, product: ShowcaseProduct) => void;
}): JSX.Element {
  const { product } = props;
  const [input, setInput] = useState<FlashSaleInput>({ price: '', quantity: '', durationSeconds: '300' });
  const [errors, setErrors] = useState<FlashSaleErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);

  useEffect(() => {
    setInput({ price: '', quantity: product ? String(Math.min(20, product.stock)) : '', durationSeconds: '300' });
    setErrors({});
    setFailure(null);
    setSubmitting(false);
  }, [product?.id]);

  const update = (field: keyof FlashSaleInput) => (event: TargetedEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setInput((current) => ({ ...current, [field]: value }));
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (!product || submitting) return;
    const checked = validateFlashSale(input, product);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setFailure(null);
    setSubmitting(true);
    try {
      const sale = await startFlashSale(props.sessionId, checked.value);
      props.onStarted(sale, product);
    } catch (error) {
      setFailure(error);
    } finally {
      setSubmitting(false);
    }
  };


  return (
    <Dialog open={product !== null} title={t('host.flash.dialogTitle')} onClose={props.onClose} testId="flash-sale-dialog">
      {product && (
        <form onSubmit={submit} noValidate>
          <p>{t('host.flash.product', { name: pick(product.name) })}</p>
          <div class="price-compare">
            <span>{t('host.flash.previousPrice')}</span>
            <strong class="price" data-testid="flash-previous-price">
              {formatFen(product.priceFen)}
            </strong>
          </div>
          <div class="field">
            <label for="flash-price">{t('host.flash.price')}</label>
            <input
              id="flash-price"
              name="price"
              class="input"
              inputMode="decimal"
              autocomplete="off"
              placeholder="99.00"
              value={input.price}
              onInput={update('price')}
              aria-invalid={errors.price ? 'true' : 'false'}
              aria-describedby="flash-price-hint flash-price-error"
              data-testid="flash-price"
              required
            />
            <span class="field-hint" id="flash-price-hint">
              {t('host.flash.priceHint')}
            </span>
            {errors.price && (
              <span class="field-error" id="flash-price-error">
                {errors.price}
              </span>
            )}
          </div>
          <div class="field">
            <label for="flash-quantity">{t('host.flash.quantity')}</label>
            <input
              id="flash-quantity"
              name="quantity"
              class="input"
              type="number"
              inputMode="numeric"
              min={1}
              max={product.stock}
              step={1}
              value={input.quantity}
              onInput={update('quantity')}
              aria-invalid={errors.quantity ? 'true' : 'false'}
              aria-describedby="flash-quantity-hint flash-quantity-error"
              data-testid="flash-quantity"
              required
            />
            <span class="field-hint" id="flash-quantity-hint">
              {t('host.flash.quantityHint', { stock: product.stock })}
            </span>
            {errors.quantity && (
              <span class="field-error" id="flash-quantity-error">
                {errors.quantity}
              </span>
            )}
          </div>
          <fieldset class="field">
            <legend>{t('host.flash.duration')}</legend>
            <div class="choice-row">
              {DURATION_PRESETS.map((seconds) => (
                <label class="choice" key={seconds}>
                  <input
                    type="radio"
                    name="duration-preset"
                    value={seconds}
                    checked={Number(input.durationSeconds) === seconds}
                    onChange={() => setInput((current) => ({ ...current, durationSeconds: String(seconds) }))}
                  />
                  <span>{seconds < 60 ? t('common.seconds', { n: seconds }) : t('common.minutes', { n: seconds / 60 })}</span>
                </label>
              ))}
            </div>
            <label for="flash-duration" class="field-hint">
              {t('host.flash.durationCustom')}
            </label>
            <input
              id="flash-duration"
              name="durationSeconds"
              class="input"
              type="number"
              inputMode="numeric"
              min={MIN_DURATION_S}
              max={MAX_DURATION_S}
              step={1}
              value={input.durationSeconds}
              onInput={update('durationSeconds')}
              aria-invalid={errors.durationSeconds ? 'true' : 'false'}
              aria-describedby="flash-duration-error"
              data-testid="flash-duration"
            />
            {errors.durationSeconds && (
              <span class="field-error" id="flash-duration-error">
                {errors.durationSeconds}
              </span>
            )}
          </fieldset>
          {failure !== null && <ProblemMessage error={failure} />}
          <div class="dialog-actions">
            <button type="button" class="btn btn-ghost" onClick={props.onClose}>
              {t('common.cancel')}
            </button>
            <button type="submit" class="btn btn-flash" disabled={submitting} data-testid="flash-sale-submit">
              {submitting ? t('host.flash.submitting') : t('host.flash.submit')}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
