/** StaffStore contract, run on every storage adapter. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KyselyStaffStore } from '../../src/modules/staff/index.js';
import { DIALECTS, freshStorage, type TestStorage } from '../support/databases.js';

const user = (id: string, name: string, role: 'admin' | 'host' = 'host', disabled = false) => ({
  id,
  name,
  role,
  createdAt: 1,
  disabled,
  passwordHash: `scrypt$hash-of-${id}`,
});

for (const dialect of DIALECTS) {
  describe(`StaffStore on ${dialect}`, () => {
    let t: TestStorage;
    let store: KyselyStaffStore;
    beforeEach(async () => {
      t = await freshStorage(dialect);
      store = new KyselyStaffStore(t.storage.db);
    });
    afterEach(async () => t.dispose());

    it('creates accounts with unique names', async () => {
      expect(await store.createUser(user('u1', 'anna'))).toBe(true);
      expect(await store.createUser(user('u2', 'anna'))).toBe(false);
      expect((await store.findUserByName('anna'))?.passwordHash).toBe('scrypt$hash-of-u1');
      expect(await store.getUser('u1')).toEqual({ id: 'u1', name: 'anna', role: 'host', createdAt: 1, disabled: false });
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['anna']);
    });

    it('counts only enabled administrators', async () => {
      expect(await store.countActiveAdmins()).toBe(0);
      await store.createUser(user('a1', 'root', 'admin'));
      await store.createUser(user('a2', 'old', 'admin', true));
      await store.createUser(user('h1', 'host'));
      expect(await store.countActiveAdmins()).toBe(1);
    });

    it('resolves live sessions only, and forgets deleted and expired ones', async () => {
      await store.createUser(user('u1', 'anna'));
      await store.createUser(user('u2', 'off', 'host', true));
      await store.createSession('t1', 'u1', 100, 200);
      await store.createSession('t2', 'u1', 100, 150);
      await store.createSession('t3', 'u2', 100, 200);
      expect((await store.userForSession('t1', 120))?.name).toBe('anna');
      expect(await store.userForSession('t2', 150)).toBeUndefined(); // expired at 150
      expect(await store.userForSession('t3', 120)).toBeUndefined(); // disabled account
      expect(await store.userForSession('nope', 120)).toBeUndefined();
      await store.deleteSession('t1');
      expect(await store.userForSession('t1', 120)).toBeUndefined();
      expect(await store.deleteExpiredSessions(160)).toBe(1);
    });
  });
}
