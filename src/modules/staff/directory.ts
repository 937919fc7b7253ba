/**
 * Staff names for the consoles: who closed a ticket or ran a verification, by sign-in name. Read
 * when shown, never stored or logged with the record. A failed lookup is reported and answers
 * null (the page shows the account id): the record it names is already committed, and reading it
 * must not fail for want of a name.
 */
import type { StaffUser } from './types.js';

export interface StaffNames {
  /** The account's sign-in name; null when no account has this id or the lookup failed. */
  nameOf(staffId: string): Promise<string | null>;
}

export function staffNames(staff: { getUser(id: string): Promise<StaffUser | undefined> }, onError: (err: unknown) => void): StaffNames {
  return {
    nameOf: async (staffId) => {
      try {
        return (await staff.getUser(staffId))?.name ?? null;
      } catch (err) {
        onError(err);
        return null;
      }
    },
  };
}
