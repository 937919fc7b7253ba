/**
 * The yearly volume thresholds of the 2024 CAC Provisions on Promoting and Regulating Cross-border
 * Data Flows (促进和规范数据跨境流动规定, Arts. 7–8), for a processor that is not a CIIO. Individuals
 * are counted cumulatively from 1 January of China's calendar year (UTC+8). Orientation for
 * engineering, not legal advice: an export of "important data", or any export by a CIIO, needs a
 * CAC security assessment whatever the volume, and that is not something a counter can see.
 */

export type CountKind = 'any' | 'sensitive';

export interface Threshold {
  id: 'sensitive_10k' | 'individuals_100k' | 'individuals_1m';
  /** Which yearly count it applies to. */
  kind: CountKind;
  limit: number;
  /** The route the provisions require once the count reaches the limit. */
  route: 'standard_contract_or_certification' | 'security_assessment';
  /** What reaching it means. */
  means: string;
}

export type ThresholdId = Threshold['id'];

export const THRESHOLDS: readonly Threshold[] = [
  {
    id: 'sensitive_10k',
    kind: 'sensitive',
    limit: 10_000,
    route: 'security_assessment',
    means:
      'Sensitive personal information of 10,000 or more individuals this year: a CAC security assessment is required. Below it, any export of sensitive personal information needs a filed standard contract or a certification.',
  },
  {
    id: 'individuals_100k',
    kind: 'any',
    limit: 100_000,
    route: 'standard_contract_or_certification',
    means:
      'Personal information of 100,000 or more individuals this year: the exemption ends; a filed standard contract or a certification is required.',
  },
  {
    id: 'individuals_1m',
    kind: 'any',
    limit: 1_000_000,
    route: 'security_assessment',
    means: 'Personal information of 1,000,000 or more individuals this year: a CAC security assessment is required.',
  },
];

/** An early warning is raised at this share of each threshold. */
export const WARNING_RATIO = 0.8;

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** China's calendar year (UTC+8, no daylight saving) of an instant. */
export function chinaYearOf(at: number): number {
  return new Date(at + CHINA_OFFSET_MS).getUTCFullYear();
}

/** The instants a China calendar year covers: [from, until). */
export function chinaYearRange(year: number): { from: number; until: number } {
  return { from: Date.UTC(year, 0, 1) - CHINA_OFFSET_MS, until: Date.UTC(year + 1, 0, 1) - CHINA_OFFSET_MS };
}

export interface ThresholdStatus {
  id: ThresholdId;
  kind: CountKind;
  limit: number;
  warningAt: number;
  count: number;
  warning: boolean;
  reached: boolean;
  route: Threshold['route'];
  means: string;
}

/** Each threshold against this year's counts. */
export function thresholdStatus(counts: { individuals: number; sensitiveIndividuals: number }): ThresholdStatus[] {
  return THRESHOLDS.map((t) => {
    const count = t.kind === 'sensitive' ? counts.sensitiveIndividuals : counts.individuals;
    const warningAt = Math.ceil(t.limit * WARNING_RATIO);
    return { id: t.id, kind: t.kind, limit: t.limit, warningAt, count, warning: count >= warningAt, reached: count >= t.limit, route: t.route, means: t.means };
  });
}
