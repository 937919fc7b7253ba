import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../i18n/index.ts';
import { handlerLabel, roleLabel, verifierLabel } from './staff-view.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

const ID = '7b0c2f4e-9a51-4c1e-8d7f-2a3b4c5d6e7f';

describe('staff as the compliance console names them', () => {
  it('names who handled a rights request by sign-in name, then the account id, shown', async () => {
    expect(handlerLabel(ID, 'lin.wei')).toEqual({ name: 'lin.wei', id: ID });
    expect(handlerLabel('system', null)).toEqual({ name: '运营方命令行', id: null });
    // The server could not name the account (deleted, or an older server): the id alone.
    expect(handlerLabel(ID, null)).toEqual({ name: null, id: ID });
    expect(handlerLabel(ID, '')).toEqual({ name: null, id: ID });
    await i18n.changeLanguage('en');
    expect(handlerLabel(ID, 'lin.wei')).toEqual({ name: 'lin.wei', id: ID });
    expect(handlerLabel('system', undefined)).toEqual({ name: "the operator's shell (CLI)", id: null });
  });

  it('names who ran a verification with a translated role, never the raw role key, and the account id', async () => {
    expect(verifierLabel({ id: ID, role: 'compliance', name: 'lin.wei' })).toEqual({ name: 'lin.wei（合规专员）', id: ID });
    // Without a name the words already carry the id: it is not shown twice.
    expect(verifierLabel({ id: ID, role: 'admin' })).toEqual({ name: `管理员 账号 ${ID}`, id: null });
    expect(verifierLabel({ id: 'system', role: 'system', name: null })).toEqual({ name: '定时任务或命令行', id: null });
    expect(roleLabel('auditor')).toBe('auditor');
    await i18n.changeLanguage('en');
    expect(verifierLabel({ id: ID, role: 'compliance', name: 'lin.wei' })).toEqual({ name: 'lin.wei (Compliance officer)', id: ID });
  });
});
