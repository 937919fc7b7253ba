/** The compliance console's sections and their hash routes (#/consent, #/rights …). */

export const SECTIONS = [
  { id: 'consent', route: 'consent' },
  { id: 'rights', route: 'rights' },
  { id: 'dataMap', route: 'data-map' },
  { id: 'fairness', route: 'fairness' },
  { id: 'experiments', route: 'experiments' },
  { id: 'accessLog', route: 'access-log' },
  { id: 'crossBorder', route: 'cross-border' },
  { id: 'energy', route: 'energy' },
  { id: 'export', route: 'export' },
] as const;

export type Section = (typeof SECTIONS)[number];

/** `#/rights` → the rights section; anything unknown → the first (consent). */
export function sectionFromHash(hash: string): Section {
  const route = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
  return SECTIONS.find((section) => section.route === route) ?? SECTIONS[0];
}
