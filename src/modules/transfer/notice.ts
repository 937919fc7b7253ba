/**
 * The separate notice for one destination (PIPL 39, 单独同意): the recipient's name and contact, its
 * region, the purpose, the method, the data categories (sensitive ones named as such), and how to
 * exercise rights with the recipient. Rendered here, once, so the page shows exactly the text whose
 * SHA-256 the consent record keeps.
 */
import { createHash } from 'node:crypto';
import type { Locale } from '../../context/index.js';
import { regionName } from '../../shared/region-names.js';
import type { Destination } from './ports.js';

/** Raise this whenever the wording changes: earlier separate consents stop covering transfers. */
export const TRANSFER_NOTICE_VERSION = '2026-12-01.2';

export interface TransferNotice {
  version: string;
  locale: Locale;
  destinationId: string;
  /** The exact text shown, paragraphs separated by blank lines. */
  text: string;
  /** SHA-256 (hex) of `text` as UTF-8. */
  hash: string;
  recipient: { name: string; contact: string; region: string };
  purpose: string;
  method: string;
  rights: string;
  dataCategories: { id: string; name: string; sensitive: boolean }[];
}

export function transferNoticeFor(destination: Destination, locale: Locale): TransferNotice {
  const zh = locale === 'zh-CN';
  const pick = (b: { zh: string; en: string }) => (zh ? b.zh : b.en);
  const dataCategories = destination.categories.map((c) => ({ id: c.id, name: zh ? c.zh : c.en, sensitive: c.sensitive }));
  const sensitive = dataCategories.filter((c) => c.sensitive).map((c) => c.name);
  const all = dataCategories.map((c) => c.name).join(zh ? '、' : ', ');
  const recipient = { name: destination.recipientName, contact: destination.contact, region: destination.region };
  // The region by name (新加坡, not "sg"); an id that names no region as configured.
  const where = regionName(destination.region, locale);
  const purpose = pick(destination.purpose);
  const method = pick(destination.method);
  const rights = pick(destination.rights);
  const paragraphs = zh
    ? [
        `向境外提供个人信息的单独同意（版本 ${TRANSFER_NOTICE_VERSION}）`,
        `经您单独同意，我们会将您的个人信息提供给境外接收方：${recipient.name}（所在地区：${where}；联系方式：${recipient.contact}）。`,
        `处理目的：${purpose}`,
        `处理方式：${method}`,
        `个人信息种类：${all}。${sensitive.length ? `其中${sensitive.join('、')}属于敏感个人信息，对您的权益影响较大。` : '不含敏感个人信息。'}`,
        `您可以向境外接收方行使查阅、复制、更正、删除等个人信息权利：${rights}。您也可以通过本平台的隐私中心行使权利。`,
        '这项同意与其他同意分开记录，默认不提供。不同意不影响您观看直播和购物。您可以随时撤回；撤回后我们不再向该接收方提供您的个人信息，撤回前已提供的不受影响。',
      ]
    : [
        `Separate consent to provide personal information outside the country or region where it is kept (version ${TRANSFER_NOTICE_VERSION})`,
        `With your separate consent, we provide your personal information to a recipient outside the region: ${recipient.name} (region: ${where}; contact: ${recipient.contact}).`,
        `Purpose: ${purpose}`,
        `Method: ${method}`,
        `Personal information: ${all}. ${sensitive.length ? `Of these, ${sensitive.join(', ')} ${sensitive.length === 1 ? 'is' : 'are'} sensitive personal information, which matters more to your rights.` : 'No sensitive personal information.'}`,
        `You can exercise your rights to access, copy, correct or delete your personal information with the recipient: ${rights}. You can also use this platform's privacy centre.`,
        'This consent is recorded apart from any other and is off unless you give it. Saying no does not affect watching or shopping. You can withdraw at any time; after that we provide none of your personal information to this recipient (what was provided before is not affected).',
      ];
  const text = paragraphs.join('\n\n');
  return {
    version: TRANSFER_NOTICE_VERSION,
    locale,
    destinationId: destination.id,
    text,
    hash: createHash('sha256').update(text, 'utf8').digest('hex'),
    recipient,
    purpose,
    method,
    rights,
    dataCategories,
  };
}
