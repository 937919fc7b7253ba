/** The guardian page's pure rules (unit-tested in node): the code from the fragment, the decision body, error wording. */
import type { Locale } from '../../i18n/index.ts';

export type Relationship = 'parent' | 'legal_guardian';

export interface GuardianNotice {
  version: string;
  locale: Locale;
  brandId: string;
  text: string;
  hash: string;
  purposes: { id: string; title: string; use: string }[];
}

export interface GuardianDecisionBody {
  code: string;
  relationship: Relationship;
  granted: string[];
  noticeVersion: string;
  noticeHash: string;
  locale: Locale;
}

/** `#code=<code>` (the code travels in the fragment so no server log or referrer sees it). */
export function codeFromHash(hash: string): string | null {
  const code = new URLSearchParams(hash.replace(/^#/, '')).get('code');
  return code && /^[A-Za-z0-9_-]{16,64}$/.test(code) ? code : null;
}

/** The decision, built only from the notice on screen; "refuse all" grants nothing whatever is ticked. */
export function buildGuardianDecision(
  action: 'consent' | 'refuse',
  code: string,
  notice: GuardianNotice,
  relationship: Relationship,
  ticked: Readonly<Record<string, boolean>>,
): GuardianDecisionBody {
  const granted = action === 'refuse' ? [] : notice.purposes.filter((p) => ticked[p.id] === true).map((p) => p.id);
  return { code, relationship, granted, noticeVersion: notice.version, noticeHash: notice.hash, locale: notice.locale };
}

/** Which of the page's own messages explains a problem code, or null for the generic one. */
export function guardianErrorKey(code: string | null): 'invalid' | 'sameDevice' | 'outdated' | null {
  switch (code) {
    case 'GUARDIAN_CODE_INVALID':
    case 'NOT_FOUND':
      return 'invalid';
    case 'GUARDIAN_SAME_DEVICE':
      return 'sameDevice';
    case 'NOTICE_OUTDATED':
    case 'NOTICE_MISMATCH':
      return 'outdated';
    default:
      return null;
  }
}

/** The notice's paragraphs, exactly as sent (split on blank lines, nothing reworded). */
export const paragraphsOf = (text: string): string[] => text.split(/\n{2,}/);
