/** Which notice an archived text is (the server's kinds; the types check they match), by name. */
import { t } from '../i18n/index.ts';
import type { NoticeKind } from '../../../src/modules/consent/ports.ts';

export const NOTICE_KINDS = ['consent', 'guardian', 'transfer'] as const satisfies readonly NoticeKind[];

/** 个人信息处理说明, 监护人告知 …; a kind the pages do not know yet stays as sent. */
export function noticeKindLabel(kind: string): string {
  return (NOTICE_KINDS as readonly string[]).includes(kind) ? t(`notices.kinds.${kind as NoticeKind}`) : kind;
}
