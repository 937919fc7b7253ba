/**
 * Rights tickets as a source of the viewer's personal data, in the shape the privacy workflow's
 * export and erasure take (its PersonalDataSource). Tickets are not deleted on erasure: they are the
 * record that the request was handled (kept 3 years after closing); the viewer's words in them are
 * sealed under their data key, so the erasure's crypto-shredding makes them unreadable.
 */
import type { RightsService, ViewerTicket } from './service.js';

export const RIGHTS_RETENTION_DAYS = 3 * 365 + 1;

export function rightsDataSource(service: Pick<RightsService, 'ticketsOfDevice'>) {
  return {
    category: 'rights_tickets',
    label: { zh: '权利申请', en: 'Rights requests' },
    describe: {
      zh: '您提交的个人信息权利申请（查阅副本、更正、删除、解释、投诉）及其处理结果和理由。',
      en: 'The rights requests you filed (copy, correction, deletion, explanation, complaint), with their outcome and reason.',
    },
    exportFor: (_subject: string, deviceId: string): Promise<readonly ViewerTicket[]> => service.ticketsOfDevice(deviceId),
    retainedBecause: {
      zh: '权利申请记录在办结后保存 3 年，用于证明我们已依法处理；您填写的内容随您的数据密钥一并销毁，无法再读取。',
      en: 'Rights requests are kept for 3 years after they close, as proof that we handled them; the words you wrote are destroyed with your data key and can no longer be read.',
    },
  } as const;
}
