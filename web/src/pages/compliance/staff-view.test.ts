import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../i18n/index.ts';
import { handlerLabel, roleLabel, verifierLabel } from './staff-view.ts';

afterEach(async () => {
  await i18n.changeLanguage('zh-CN');
});

const ID = '7b0c2f4e-9a51-4c1e-8d7f-2a3b4c5d6e7f';

describe('staff as the compliance console names them', () => {
  it('names who handled a rights request by sign-in name, with the account id on hover', async () => {
    expect(handlerLabel(ID, 'lin.wei')).toEqual({ text: 'lin.wei', title: `账号 ID：${ID}`, isId: false });
    expect(handlerLabel('system', null)).toEqual({ text: '运营方命令行', title: null, isId: false });
    // The server could not name the account (deleted, or an older server): the id, as code.
    expect(handlerLabel(ID, null)).toEqual({ text: ID, title: null, isId: true });
    await i18n.changeLanguage('en');
    expect(handlerLabel(ID, 'lin.wei').title).toBe(`Account id: ${ID}`);
    expect(handlerLabel('system', undefined).text).toBe("the operator's shell (CLI)");
  });

  it('names who ran a verification with a translated role, never the raw role key', async () => {
    expect(verifierLabel({ id: ID, role: 'compliance', name: 'lin.wei' })).toEqual({ text: 'lin.wei（合规专员）', title: `账号 ID：${ID}` });
    expect(verifierLabel({ id: ID, role: 'admin' })).toEqual({ text: `管理员 账号 ${ID}`, title: null });
    expect(verifierLabel({ id: 'system', role: 'system', name: null }).text).toBe('定时任务或命令行');
    expect(roleLabel('auditor')).toBe('auditor');
    await i18n.changeLanguage('en');
    expect(verifierLabel({ id: ID, role: 'compliance', name: 'lin.wei' }).text).toBe('lin.wei (Compliance officer)');
  });
});
