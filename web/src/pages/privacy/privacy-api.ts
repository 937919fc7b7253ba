/** The privacy centre's calls: every personal one carries this device's id in the device header. */
import type { Locale } from '../../i18n/index.ts';
import { ApiError, apiRequest, NETWORK_ERROR, toProblem } from '../../ui/api.ts';
import { DEVICE_HEADER } from '../../ui/device.ts';
import { downloadName, type TicketKind, type ViewerExport } from './privacy-view.ts';

const enc = encodeURIComponent;
const dev = (deviceId: string): Record<string, string> => ({ [DEVICE_HEADER]: deviceId });

export interface ProfileView {
  ageBand: string | null;
  declaredAt: number | null;
  childAgeBand: ChildAgeBand | null;
  cityTier: CityTier | null;
  mode: string;
  minorsMode: boolean;
  personalisation: boolean;
  guardianPurposes: string[];
  spending: { perOrderFen: number; monthlyFen: number; spentThisMonthFen: number } | null;
  region: string;
}

export interface InterestTag {
  tag: string;
  value?: string;
  weight: number;
  [field: string]: unknown;
}

export interface ViewerTicket {
  id: string;
  kind: TicketKind;
  status: 'open' | 'completed' | 'rejected';
  details: string | null;
  detailsErased: boolean;
  locale: Locale;
  createdAt: number;
  updatedAt: number;
  dueAt: number;
  closedAt: number | null;
  reason: string | null;
}

export interface ErasureReport {
  eventsDeleted: number;
  tagsDeleted: number;
  profileRowsDeleted: number;
  pseudonymsDeleted: number;
  dataKeyDestroyed: boolean;
  bySource: Record<string, number>;
  retained: { category: string; why: { zh: string; en: string } }[];
}

export const getData = (deviceId: string): Promise<ViewerExport> => apiRequest('GET', '/api/v1/privacy/data', undefined, dev(deviceId));
export const getTags = (deviceId: string): Promise<{ items: InterestTag[] }> => apiRequest('GET', '/api/v1/privacy/tags', undefined, dev(deviceId));
export const deleteTag = (deviceId: string, tag: string): Promise<void> => apiRequest('DELETE', `/api/v1/privacy/tags/${enc(tag)}`, undefined, dev(deviceId));
export const getProfile = (deviceId: string, brandId: string): Promise<ProfileView> =>
  apiRequest('GET', `/api/v1/privacy/profile?brandId=${enc(brandId)}`, undefined, dev(deviceId));
export const setPersonalisation = (deviceId: string, brandId: string, on: boolean): Promise<ProfileView> =>
  apiRequest('PUT', '/api/v1/privacy/personalisation', { brandId, on }, dev(deviceId));
/** The child's age bands a viewer may declare (the server's CHILD_AGE_BANDS). */
export const CHILD_AGE_BANDS = ['0_6m', '6_12m', '1_3y', '3_6y', '6y_plus'] as const;
export type ChildAgeBand = (typeof CHILD_AGE_BANDS)[number];
export const setChildAge = (deviceId: string, brandId: string, childAgeBand: ChildAgeBand | null): Promise<ProfileView> =>
  apiRequest('PUT', '/api/v1/privacy/child-age', { brandId, childAgeBand }, dev(deviceId));
/** The city tiers a viewer may declare (the server's CITY_TIERS): for fairness checks only. */
export const CITY_TIERS = ['tier1', 'tier2', 'tier3_plus'] as const;
export type CityTier = (typeof CITY_TIERS)[number];
export const setCityTier = (deviceId: string, brandId: string, cityTier: CityTier | null): Promise<ProfileView> =>
  apiRequest('PUT', '/api/v1/privacy/city-tier', { brandId, cityTier }, dev(deviceId));
export const getTickets = (deviceId: string): Promise<{ items: ViewerTicket[] }> => apiRequest('GET', '/api/v1/privacy/tickets', undefined, dev(deviceId));
export const fileTicket = (deviceId: string, ticket: { kind: TicketKind; details: string; locale: Locale }): Promise<ViewerTicket> =>
  apiRequest('POST', '/api/v1/privacy/tickets', ticket, dev(deviceId));
export const eraseAll = (deviceId: string): Promise<ErasureReport> => apiRequest('POST', '/api/v1/privacy/erasure', { confirm: true }, dev(deviceId));
export const getRules = (brandId: string, locale: Locale): Promise<ProcessingRules> =>
  apiRequest('GET', `/api/v1/privacy/rules?brandId=${enc(brandId)}&locale=${enc(locale)}`);

export interface ProcessingRules {
  version: string;
  locale: Locale;
  operator: { name: string; contactEmail: string; contactPhone: string };
  region: string;
  noticeHash: string;
  essential: string;
  purposes: { id: string; title: string; use: string; dataCategories: string; retention: string }[];
  /** `category` identifies the row; `name` is its name in the page's language. */
  data: { category: string; name: string; what: string; personal: boolean; protection: string; kept: string }[];
  security: string;
  location: string;
  minors: string;
  rights: string;
  automatedDecisions: string;
}

/**
 * Downloads the export as a file. A plain link cannot send the device header, so the file is
 * fetched, then saved through a Blob URL and a temporary `<a download>`.
 */
export async function downloadExport(deviceId: string, format: 'json' | 'csv'): Promise<void> {
  const url = format === 'csv' ? '/api/v1/privacy/data?format=csv' : '/api/v1/privacy/data?download=true';
  let response: Response;
  try {
    response = await fetch(url, { headers: { ...dev(deviceId), accept: format === 'csv' ? 'text/csv, application/problem+json' : 'application/json, application/problem+json' }, credentials: 'same-origin' });
  } catch (cause) {
    throw new ApiError({ type: 'about:blank', title: cause instanceof Error ? cause.message : 'Network error', status: 0, code: NETWORK_ERROR });
  }
  if (!response.ok) {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    throw new ApiError(toProblem(response.status, response.statusText, body));
  }
  const blob = await response.blob();
  const name = downloadName(response.headers.get('content-disposition'), `qingliu-my-data.${format}`);
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
