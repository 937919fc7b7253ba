/** Dates and times in the page's language. */
import { currentLocale } from '../i18n/index.ts';

export function formatClock(epochMs: number): string {
  return new Intl.DateTimeFormat(currentLocale(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(epochMs);
}

export function formatDateTime(epochMs: number): string {
  return new Intl.DateTimeFormat(currentLocale(), { dateStyle: 'medium', timeStyle: 'short', hour12: false }).format(epochMs);
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat(currentLocale()).format(n);
}
