/** Record ids: random, and ordered within one process when two records share a millisecond. */
import { randomBytes } from 'node:crypto';

let sequence = 0;

/**
 * `<time><sequence><random>`: time and sequence in fixed-width base 36 (digits and lower-case letters
 * sort the same under every collation), then 96 random bits. Readers order by (created_at, id), so a
 * withdrawal recorded in the same millisecond as the grant before it still reads as the latest.
 */
export function recordId(at: number): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `${Math.max(0, Math.trunc(at)).toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(12).toString('hex')}`;
}
