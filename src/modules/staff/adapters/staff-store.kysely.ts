import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../storage/index.js';
import type { StaffUserTable } from '../../../storage/schema.js';
import type { StaffRole } from '../../../context/index.js';
import type { StaffStore } from '../ports.js';
import type { StaffUser, StaffUserWithHash } from '../types.js';

export class KyselyStaffStore implements StaffStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(user: StaffUserWithHash): Promise<boolean> {
    const result = await this.db
      .insertInto('staff_users')
      .values({
        id: user.id,
        name: user.name,
        role: user.role,
        password_hash: user.passwordHash,
        created_at: user.createdAt,
        disabled: user.disabled ? 1 : 0,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findUserByName(name: string): Promise<StaffUserWithHash | undefined> {
    const r = await this.db.selectFrom('staff_users').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? { ...userOf(r), passwordHash: r.password_hash } : undefined;
  }

  async getUser(id: string): Promise<StaffUser | undefined> {
    const r = await this.db.selectFrom('staff_users').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? userOf(r) : undefined;
  }

  async listUsers(): Promise<StaffUser[]> {
    const rows = await this.db.selectFrom('staff_users').selectAll().orderBy('name').execute();
    return rows.map(userOf);
  }

  async countActiveAdmins(): Promise<number> {
    const r = await this.db
      .selectFrom('staff_users')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', 0)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async createSession(tokenHash: string, userId: string, now: number, expiresAt: number): Promise<void> {
    await this.db.insertInto('staff_sessions').values({ token_hash: tokenHash, user_id: userId, created_at: now, expires_at: expiresAt }).execute();
  }

  async userForSession(tokenHash: string, now: number): Promise<StaffUser | undefined> {
    const r = await this.db
      .selectFrom('staff_sessions as s')
      .innerJoin('staff_users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .where('s.token_hash', '=', tokenHash)
      .where('s.expires_at', '>', now)
      .where('u.disabled', '=', 0)
      .executeTakeFirst();
    return r ? userOf(r) : undefined;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('staff_sessions').where('token_hash', '=', tokenHash).execute();
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    const r = await this.db.deleteFrom('staff_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function userOf(r: Selectable<StaffUserTable>): StaffUser {
  return { id: r.id, name: r.name, role: r.role as StaffRole, createdAt: Number(r.created_at), disabled: r.disabled === 1 };
}
