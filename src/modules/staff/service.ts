import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '../../errors/index.js';
import { STAFF_ROLES, type Clock, type RequestContext, type StaffActor, type StaffRole } from '../../context/index.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import type { StaffStore } from './ports.js';
import type { StaffUser } from './types.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$/;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

export interface NewStaffUser {
  name: string;
  role: string;
  password: string;
}

export interface LoginSession {
  token: string;
  user: StaffUser;
  expiresAt: number;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export class StaffService {
  /** Hash of the one-time setup token, while no administrator exists. */
  #setupTokenHash: string | undefined;

  constructor(
    private readonly store: StaffStore,
    private readonly clock: Clock,
    private readonly sessionHours: number,
  ) {}

  /** Checks a new account's fields; the messages name the field but never echo the password. */
  validateNewUser(input: NewStaffUser): Result<{ name: string; role: StaffRole; password: string }> {
    const problems: { field: string; reason: string }[] = [];
    if (!NAME_PATTERN.test(input.name)) problems.push({ field: 'name', reason: '2–32 letters, digits, ".", "_" or "-"' });
    if (!(STAFF_ROLES as readonly string[]).includes(input.role)) problems.push({ field: 'role', reason: `one of ${STAFF_ROLES.join(', ')}` });
    if (input.password.length < MIN_PASSWORD_LENGTH) problems.push({ field: 'password', reason: `at least ${MIN_PASSWORD_LENGTH} characters` });
    if (input.password.length > MAX_PASSWORD_LENGTH) problems.push({ field: 'password', reason: `at most ${MAX_PASSWORD_LENGTH} characters` });
    if (problems.length) return fail('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.reason}`).join('; '), { errors: problems });
    return ok({ name: input.name, role: input.role as StaffRole, password: input.password });
  }

  async addUser(_ctx: RequestContext, input: NewStaffUser): Promise<Result<StaffUser>> {
    const valid = this.validateNewUser(input);
    if (!valid.ok) return valid;
    const user: StaffUser = { id: randomUUID(), name: valid.value.name, role: valid.value.role, createdAt: this.clock.now(), disabled: false };
    const created = await this.store.createUser({ ...user, passwordHash: await hashPassword(valid.value.password) });
    if (!created) return fail('USER_EXISTS');
    if (user.role === 'admin') this.#setupTokenHash = undefined;
    return ok(user);
  }

  listUsers(_ctx: RequestContext): Promise<StaffUser[]> {
    return this.store.listUsers();
  }

  getUser(id: string): Promise<StaffUser | undefined> {
    return this.store.getUser(id);
  }

  async login(name: string, password: string): Promise<Result<LoginSession>> {
    const found = name.length <= 64 ? await this.store.findUserByName(name) : undefined;
    // Verify against a dummy hash for unknown names so timing does not reveal which names exist.
    const valid = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), found?.passwordHash ?? (await dummyPasswordHash()));
    if (!found || !valid || found.disabled) return fail('INVALID_CREDENTIALS');
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const expiresAt = now + this.sessionHours * 3600_000;
    await this.store.createSession(sha256(token), found.id, now, expiresAt);
    const { passwordHash: _omit, ...user } = found;
    return ok({ token, user, expiresAt });
  }

  async logout(token: string): Promise<void> {
    await this.store.deleteSession(sha256(token));
  }

  async actorForToken(token: string): Promise<StaffActor | undefined> {
    if (token.length > 128) return undefined;
    const user = await this.store.userForSession(sha256(token), this.clock.now());
    return user ? { kind: 'staff', id: user.id, name: user.name, role: user.role } : undefined;
  }

  async setupNeeded(): Promise<boolean> {
    return (await this.store.countActiveAdmins()) === 0;
  }

  /** When no administrator exists, makes a fresh one-time setup token (the caller prints the link). */
  async setupTokenIfNeeded(): Promise<string | undefined> {
    if ((await this.store.countActiveAdmins()) > 0) return undefined;
    const token = randomBytes(24).toString('base64url');
    this.#setupTokenHash = sha256(token);
    return token;
  }

  /** Creates the first administrator from the one-time setup link. */
  async completeSetup(ctx: RequestContext, token: string, name: string, password: string): Promise<Result<StaffUser>> {
    if ((await this.store.countActiveAdmins()) > 0) return fail('SETUP_ALREADY_DONE');
    const expected = this.#setupTokenHash;
    const given = Buffer.from(sha256(token));
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return fail('SETUP_TOKEN_INVALID');
    const result = await this.addUser(ctx, { name, role: 'admin', password });
    if (result.ok) this.#setupTokenHash = undefined;
    return result;
  }

  /** Deletes sign-in sessions that expired before `cutoff` (now, by default). */
  purgeExpiredSessions(cutoff = this.clock.now()): Promise<number> {
    return this.store.deleteExpiredSessions(cutoff);
  }
}
