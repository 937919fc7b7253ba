/**
 * Assignment of viewers to arms by a keyed hash. A viewer's unit is HMAC-SHA256 of their pseudonym
 * under the experiment's own random salt: stable for the whole experiment (the same viewer gets the
 * same arm on every node and after restarts), needing no extra personal data, and unlinkable between
 * experiments or to the pseudonym without the salt. The arm is read from the unit's first 52 bits as
 * a uniform number in [0, 1) against the cumulative allocation.
 */
import { createHmac } from 'node:crypto';

/** The unit of a subject in one experiment: 32 hex digits (128 bits). */
export function unitOf(saltHex: string, subject: string): string {
  return createHmac('sha256', Buffer.from(saltHex, 'hex')).update(subject, 'utf8').digest('hex').slice(0, 32);
}

/** A unit's position in [0, 1): its first 52 bits over 2^52 (exactly representable). */
export function uniformOf(unit: string): number {
  if (!/^[0-9a-f]{13}/.test(unit)) throw new RangeError('a unit starts with 13 hex digits');
  return parseInt(unit.slice(0, 13), 16) / 2 ** 52;
}

/** The index of the arm whose allocation interval holds the unit. */
export function armIndexOf(unit: string, allocation: readonly number[]): number {
  const u = uniformOf(unit);
  let cumulative = 0;
  for (let i = 0; i < allocation.length; i++) {
    cumulative += allocation[i]!;
    if (u < cumulative) return i;
  }
  // Rounding can leave the sum a hair under 1: the last arm takes the remainder.
  return allocation.length - 1;
}
