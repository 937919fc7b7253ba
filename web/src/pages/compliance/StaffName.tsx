/**
 * A staff account as the console shows it: the name first, then the account id as muted code (or
 * the id alone); a screen reader hears the id announced as such.
 */
import type { JSX } from 'preact';
import { t } from '../../i18n/index.ts';
import type { StaffLabel } from './staff-view.ts';

export function StaffName({ label }: { label: StaffLabel }): JSX.Element {
  if (label.name === null) return <code>{label.id}</code>;
  return (
    <>
      {label.name}
      {label.id !== null && (
        <>
          {' '}
          <span class="visually-hidden">{t('common.accountIdPrefix')}</span>
          <code class="muted" data-testid="staff-id">
            {label.id}
          </code>
        </>
      )}
    </>
  );
}
