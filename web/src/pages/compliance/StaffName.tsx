/** A staff account as the console shows it: the name first, then the account id as muted code (or the id alone). */
import type { JSX } from 'preact';
import type { StaffLabel } from './staff-view.ts';

export function StaffName({ label }: { label: StaffLabel }): JSX.Element {
  if (label.name === null) return <code>{label.id}</code>;
  return (
    <>
      {label.name}
      {label.id !== null && (
        <>
          {' '}
          <code class="muted" data-testid="staff-id">
            {label.id}
          </code>
        </>
      )}
    </>
  );
}
