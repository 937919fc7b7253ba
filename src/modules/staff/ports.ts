import type { StaffUser, StaffUserWithHash } from './types.js';

export interface StaffStore {
  /** Returns false when the name is taken. */
  createUser(user: StaffUserWithHash): Promise<boolean>;
  findUserByName(name: string): Promise<StaffUserWithHash | undefined>;
  getUser(id: string): Promise<StaffUser | undefined>;
  listUsers(): Promise<StaffUser[]>;
  countActiveAdmins(): Promise<number>;
  createSession(tokenHash: string, userId: string, now: number, expiresAt: number): Promise<void>;
  /** The user behind a live (unexpired) session of an enabled account. */
  userForSession(tokenHash: string, now: number): Promise<StaffUser | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteExpiredSessions(now: number): Promise<number>;
}
