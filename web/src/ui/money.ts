/** Prices travel as integer fen (1 yuan = 100 fen); text is formatted only at the edge. */

/** `12900` → `¥129.00`. */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}¥${yuan}.${cents}`;
}

/** `12900` → `129.00`, the form the flash-sale API takes. */
export function fenToYuanString(fen: number): string {
  return formatFen(fen).replace('¥', '');
}

const YUAN = /^(\d{1,9})(?:\.(\d{1,2}))?$/;

/** `"99"`, `"99.5"`, `"99.50"` → fen; anything else (negatives, 3 decimals, text) → null. */
export function parseYuanToFen(text: string): number | null {
  const match = YUAN.exec(text.trim());
  if (!match) return null;
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}
