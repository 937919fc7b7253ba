/**
 * The compliance console (/compliance): navigation for every section a compliance officer will use;
 * sections whose capability has not shipped yet are honest placeholders. Hash routing (#/consent, #/rights …).
 * No sample data is ever shown.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import { useStaff } from '../../ui/auth.ts';
import { RoleRefused, StaffHeader, StaffPending } from '../../ui/staff-header.tsx';
import { AccessLogSection } from './AccessLogSection.tsx';
import { ConsentLedgerSection } from './ConsentLedgerSection.tsx';
import { CrossBorderSection } from './CrossBorderSection.tsx';
import { DataMapSection } from './DataMapSection.tsx';
import { EnergySection } from './EnergySection.tsx';
import { ExperimentsSection } from './ExperimentsSection.tsx';
import { FairnessSection } from './FairnessSection.tsx';
import { RightsSection } from './RightsSection.tsx';
import { SECTIONS, sectionFromHash, type Section } from './sections.ts';

function useHashSection(): Section {
  const [section, setSection] = useState(() => sectionFromHash(location.hash));
  useEffect(() => {
    const onChange = (): void => setSection(sectionFromHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return section;
}

export function CompliancePage(): JSX.Element {
  const staff = useStaff();
  const section = useHashSection();
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  const title = t(`compliance.sections.${section.id}.title`);
  useEffect(() => {
    document.title = t('compliance.documentTitle', { section: title });
  });
  // After navigating, move focus to the new page's heading so keyboard and screen-reader users land there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [section.id]);

  if (staff.kind !== 'signed-in') return <StaffPending staff={staff} />;
  if (staff.user.role !== 'compliance' && staff.user.role !== 'admin') return <RoleRefused user={staff.user} title={t('compliance.title')} />;

  return (
    <>
      <StaffHeader user={staff.user} title={t('compliance.title')} />
      <div class="compliance-layout">
        <nav class="compliance-nav" aria-label={t('compliance.navLabel')} data-testid="compliance-nav">
          <ul>
            {SECTIONS.map((item) => (
              <li key={item.id}>
                <a href={`#/${item.route}`} aria-current={item.id === section.id ? 'page' : undefined} data-section={item.route}>
                  {t(`compliance.sections.${item.id}.title`)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main class="compliance-content" data-testid="compliance-section" data-section={section.route}>
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
          <p class="muted">{t(`compliance.sections.${section.id}.about`)}</p>
          {section.id === 'crossBorder' ? (
            <CrossBorderSection />
          ) : section.id === 'consent' ? (
            <ConsentLedgerSection />
          ) : section.id === 'rights' ? (
            <RightsSection />
          ) : section.id === 'dataMap' ? (
            <DataMapSection />
          ) : section.id === 'accessLog' ? (
            <AccessLogSection />
          ) : section.id === 'experiments' ? (
            <ExperimentsSection />
          ) : section.id === 'fairness' ? (
            <FairnessSection />
          ) : section.id === 'energy' ? (
            <EnergySection />
          ) : (
            <div class="card placeholder-card" data-slot={`compliance-${section.route}`}>
              <p>
                <strong>{t('compliance.placeholder')}</strong>
              </p>
              <p class="muted">{t('compliance.placeholderNote')}</p>
            </div>
          )}
        </main>
      </div>
    </>
  );
}
