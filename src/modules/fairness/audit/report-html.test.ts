/**
 * The fairness audit as an HTML page: one self-contained document (no script, nothing loaded from
 * elsewhere, charts as inline SVG), in Chinese or English, that escapes every text it takes from
 * the report, shows suppressed groups by their size only, says when the audience was simulated,
 * and is the same page for the same report.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/rng.js';
import type { AuditScope, FairnessReport } from './contract.js';
import { AUDIT_SETTINGS_DEFAULTS, runAudit, thresholdsOf, type AuditComputation } from './engine.js';
import { AuditLogBuilder } from './log.js';
import { renderAuditHtml } from './report-html.js';

const EVIL = '<img src=x onerror=alert(1)>';
const EVIL_ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';
const band = (fen: number) => (fen < 10_000 ? '¥0–99' : fen < 40_000 ? '¥100–399' : '¥400+');

/** Eight products: four cheap (¥50, list ¥60), four dear (¥500); one category is named EVIL. */
const CATEGORIES = ['toys', 'care', EVIL, 'books'];
const PRODUCTS = Array.from({ length: 8 }, (_, p) => ({
  id: `p${p}`,
  category: CATEGORIES[p % 4]!,
  priceFen: p < 4 ? 5_000 : 50_000,
  listPriceFen: p < 4 ? 6_000 : 50_000,
}));

/**
 * Lists of 4; `premiumOdds[tier]` is the chance each slot holds a dear product. Device: almost all
 * android (ios is a group too small to report); visitor: new or returning at even odds; child age
 * band never recorded. Clicks 10 %, purchases 2 %, independent of everything.
 */
function log(seed: number, lists: number, premiumOdds: Record<string, number>) {
  const rng = new Rng(seed);
  const b = new AuditLogBuilder();
  const tiers = Object.keys(premiumOdds);
  for (let l = 0; l < lists; l++) {
    const tier = tiers[Math.floor(rng.next() * tiers.length)]!;
    const device = rng.next() < 0.998 ? 'android' : 'ios';
    const visitor = rng.next() < 0.5 ? 'new' : 'returning';
    for (let pos = 1; pos <= 4; pos++) {
      const dear = rng.next() < premiumOdds[tier]!;
      const p = PRODUCTS[(dear ? 4 : 0) + Math.floor(rng.next() * 4)]!;
      b.push({
        listId: `l${l}`,
        productId: p.id,
        category: p.category,
        position: pos,
        priceFen: p.priceFen,
        listPriceFen: p.listPriceFen,
        clicked: rng.next() < 0.1,
        purchased: rng.next() < 0.02,
        personalised: pos < 4,
        segments: { cityTier: tier, device, visitor },
      });
    }
  }
  return b.build();
}

const FROM = Date.UTC(2026, 0, 1, 0, 0, 0);
const DAY = 86_400_000;

/** Wraps the engine's figures as the fairness service does. */
function reportOf(computed: AuditComputation, scope: AuditScope, simulated: boolean): FairnessReport {
  const s = AUDIT_SETTINGS_DEFAULTS;
  const createdAt = scope.until + 60_000;
  return {
    id: 'audit-0123456789ab',
    trigger: scope.sessionId === null ? 'scheduled' : 'session_end',
    scope,
    createdAt,
    keepUntil: createdAt + (3 * 365 + 1) * DAY,
    decisions: computed.decisions,
    lists: computed.lists,
    personalisedShare: computed.personalisedShare,
    simulated,
    definitions: {
      premiumFromFen: computed.premiumFromFen,
      selection: `premium product shown: price ≥ the ${Math.round(s.premiumQuantile * 100)}th percentile of the prices of the products shown`,
      label: 'clicked',
    },
    method: {
      bootstrap: s.bootstrap,
      seed: s.seed,
      tests: 'rates: two-proportion z-test; mean price and discount: Welch z-test; two-sided',
      correction: `Holm, per metric over the groups compared with the reference; α = ${s.alpha}`,
    },
    thresholds: thresholdsOf(s),
    segments: computed.segments,
    exposure: computed.exposure,
    mitigation: computed.mitigation,
    flags: computed.flags,
  };
}

/** One session; tier1 is steered to dearer products, and a tier is named EVIL. */
const steered = runAudit(log(1, 3_000, { tier1: 0.7, [EVIL]: 0.3, tier3: 0.3 }), { catalogueSize: 10, priceBandOf: band });
const SESSION_SCOPE: AuditScope = { brandId: `brand-${EVIL}`, sessionId: `session-${EVIL}`, from: FROM, until: FROM + 2 * 3_600_000 };
/** A brand over a day with five lists: every group too small, nothing flagged. */
const tiny = runAudit(log(6, 5, { tier1: 0.5, tier2: 0.5 }), { catalogueSize: 10, priceBandOf: band });
const BRAND_SCOPE: AuditScope = { brandId: 'demo-brand', sessionId: null, from: FROM, until: FROM + DAY };

const svgs = (html: string) => html.match(/<svg[\s>][\s\S]*?<\/svg>/g) ?? [];
/** The table rows whose first cell is the group (alone, or marked as the reference). */
const rowsOf = (html: string, group: string) => (html.match(/<tr[^>]*>[\s\S]*?<\/tr>/g) ?? []).filter((r) => r.includes(`<td>${group}</td>`) || r.includes(`<td>${group} (`));

describe('renderAuditHtml', () => {
  it('the fixtures are what the tests need: two attributes ok, one with a suppressed group, one not recorded; flags', () => {
    const status = Object.fromEntries(steered.segments.map((s) => [s.attribute, s.status]));
    expect(status).toEqual({ childAgeBand: 'not_recorded', cityTier: 'ok', device: 'one_group', visitor: 'ok' });
    expect(steered.segments.find((s) => s.attribute === 'device')!.groups.find((g) => g.group === 'ios')!.suppressed).toBe(true);
    expect(steered.flags.length).toBeGreaterThan(0);
    expect(tiny.segments.find((s) => s.attribute === 'cityTier')!.status).toBe('too_few');
    expect(tiny.flags).toEqual([]);
  });

  it('is one self-contained page: doctype, no script, nothing loaded from elsewhere, a chart per ok attribute and per product grouping', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const html = renderAuditHtml(reportOf(steered, SESSION_SCOPE, false), { locale });
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).toContain(`<html lang="${locale}">`);
      expect(html).not.toMatch(/<script/i);
      // Within tags (escaped texts hold no "<"): no resource, no handler. ECharts clips with url(#…) at most.
      expect(html).not.toMatch(/<(link|iframe|img|object|embed|image|use|foreignObject)[\s>]/i);
      expect(html).not.toMatch(/<[a-z][^>]*\s(src|href|xlink:href|on[a-z]+)\s*=/i);
      expect(html).not.toMatch(/@import|url\((?!#)/i);
      // cityTier and visitor (ok), category and price band.
      expect(svgs(html)).toHaveLength(4);
      expect(html.match(/<svg[\s>]/g)).toHaveLength(4);
      for (const id of ['segment-cityTier', 'segment-visitor']) {
        const section = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</section>', html.indexOf(`id="${id}"`)));
        expect(section).toMatch(/<svg[\s>]/);
      }
      for (const id of ['segment-device', 'segment-childAgeBand']) {
        const section = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</section>', html.indexOf(`id="${id}"`)));
        expect(section).not.toMatch(/<svg[\s>]/);
      }
    }
    // No ok attribute: only the two product groupings are charted.
    expect(svgs(renderAuditHtml(reportOf(tiny, BRAND_SCOPE, false), { locale: 'en' }))).toHaveLength(2);
  });

  it('lists the flags in the chosen locale, or says that none was flagged', () => {
    const r = reportOf(steered, SESSION_SCOPE, false);
    const zh = renderAuditHtml(r, { locale: 'zh-CN' });
    const en = renderAuditHtml(r, { locale: 'en' });
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    for (const f of r.flags) {
      expect(zh).toContain(`<li>${esc(f.text.zh)}</li>`);
      expect(en).toContain(`<li>${esc(f.text.en)}</li>`);
      expect(zh).not.toContain(esc(f.text.en));
      expect(en).not.toContain(esc(f.text.zh));
    }
    expect(zh).toContain(`标记的差距（${r.flags.length} 项）`);
    expect(en).toContain(`Flagged gaps (${r.flags.length})`);
    expect(en).not.toContain('No gap flagged');
    // Flagged gaps are highlighted rows.
    expect(en.match(/<tr class="flagged">/g)!.length).toBeGreaterThanOrEqual(r.flags.length);

    const none = reportOf(tiny, BRAND_SCOPE, false);
    expect(renderAuditHtml(none, { locale: 'zh-CN' })).toContain('未发现显著差距');
    expect(renderAuditHtml(none, { locale: 'en' })).toContain('No gap flagged');
    expect(renderAuditHtml(none, { locale: 'en' })).not.toContain('class="flags"');
  });

  it('switches every label between Chinese and English', () => {
    const r = reportOf(steered, SESSION_SCOPE, false);
    const zh = renderAuditHtml(r, { locale: 'zh-CN' });
    const en = renderAuditHtml(r, { locale: 'en' });
    const pairs: [string, string][] = [
      ['公平性审计报告', 'Fairness audit report'],
      ['孩子年龄段', 'child age band'],
      ['城市级别', 'city tier'],
      ['设备类型', 'device type'],
      ['新老访客', 'new or returning'],
      ['品类', 'price band'],
      ['方法与阈值', 'Method and thresholds'],
      ['场次结束', 'session end'],
      ['只有一个组可比较', 'Only one group to compare'],
      ['未记录：没有任何决策带有此属性', 'no decision carries this attribute'],
      ['如何阅读本报告', 'How to read this report'],
    ];
    for (const [z, e] of pairs) {
      expect(zh).toContain(z);
      expect(en).toContain(e);
      expect(en).not.toContain(z);
    }
    expect(zh).not.toContain('Fairness audit report');
    // Chart titles are in the locale too (ECharts draws them into the SVG).
    expect(svgs(zh).join('')).toContain('各组推荐商品平均价格与高价商品占比');
    expect(svgs(en).join('')).toContain('mean recommended price and premium rate per group');
  });

  it('formats the scope in China time, prices in yuan, rates in %, p-values, and the retention', () => {
    const en = renderAuditHtml(reportOf(steered, SESSION_SCOPE, false), { locale: 'en' });
    expect(en).toContain('<td>2026-01-01T08:00:00+08:00</td>');
    expect(en).toContain('<td>2026-01-01T10:00:00+08:00</td>');
    expect(en).toMatch(/kept until 2029-01-0\dT10:01:00\+08:00, at least 3 years \(A8\)/);
    expect(en).toContain('<td>¥500.00</td>'); // premium from
    expect(en).toMatch(/<td class="n">¥\d{3}\.\d{2}<\/td>/);
    expect(en).toMatch(/<td class="n">\d+\.\d%<\/td>/);
    expect(en).toContain('<td class="n">&lt; 0.001</td>');
    expect(en).toMatch(/<td class="n">[+−]\d+\.\d{2} pp<\/td>/);
    // Each threshold with its recorded reason.
    expect(en).toContain('the four-fifths rule (29 CFR 1607.4(D))');
    expect(en).toContain('0.8 ([0.80, 1.25])');
    const tinyZh = renderAuditHtml(reportOf(tiny, BRAND_SCOPE, false), { locale: 'zh-CN' });
    expect(tinyZh).toContain('<td>全部场次</td>');
    expect(tinyZh).toContain('至少三年（A8）');
  });

  it('escapes every text taken from the report, in the tables and in the charts', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const html = renderAuditHtml(reportOf(steered, SESSION_SCOPE, true), { locale });
      expect(html).not.toContain('<img');
      expect(html).not.toContain(EVIL);
      expect(html).toContain(`<td>brand-${EVIL_ESCAPED}</td>`);
      expect(html).toContain(`<td>session-${EVIL_ESCAPED}</td>`);
      // The city tier and the product category named EVIL: rows of tables, and labels of charts.
      expect(rowsOf(html, EVIL_ESCAPED).length).toBeGreaterThanOrEqual(3);
      const charts = svgs(html);
      expect(charts.filter((s) => s.includes(EVIL_ESCAPED)).length).toBeGreaterThanOrEqual(2);
      for (const s of charts) expect(s).not.toMatch(/<img/i);
    }
  });

  it('shows a suppressed group by its size only: viewers and impressions, no rate', () => {
    const r = reportOf(steered, SESSION_SCOPE, false);
    const ios = r.segments.find((s) => s.attribute === 'device')!.groups.find((g) => g.group === 'ios')!;
    expect(ios.viewers).toBe(ios.impressions / 4); // one list per viewer, four items per list
    const en = renderAuditHtml(r, { locale: 'en' });
    const rows = rowsOf(en, 'iOS device (ios)');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('class="suppressed"');
    expect(rows[0]).toContain(`<td>iOS device (ios)</td><td class="n">${ios.viewers}</td><td class="n">${ios.impressions}</td>`);
    expect(rows[0]).toContain('suppressed (fewer than 30 viewers, counted per show)');
    expect(rows[0]).not.toMatch(/%|¥|\d\.\d/);
    const zh = renderAuditHtml(r, { locale: 'zh-CN' });
    expect(rowsOf(zh, 'iOS 设备 (ios)')[0]).toContain('已隐藏（少于 30 人次）');
    expect(zh).toContain('<th>组</th><th>观众人次</th><th>展示次数</th>');
    expect(en).toContain('Minimum group size (viewers, counted per show)');
    // Across shows one person may count more than once: the report says so.
    expect(en).toContain('in an audit of several shows one person may count more than once');
    expect(zh).toContain('在多场直播的审计中，同一人可能计入多次');

    // Every group too small: sizes only, and no chart, gap or index for the attribute.
    const tinyEn = renderAuditHtml(reportOf(tiny, BRAND_SCOPE, false), { locale: 'en' });
    expect(tinyEn).toContain('Every group has fewer viewers (counted per show) than the minimum size (30): sizes only.');
    for (const group of ['tier-1 city (tier1)', 'tier-2 city (tier2)']) {
      const [row] = rowsOf(tinyEn, group);
      expect(row).toContain('suppressed (fewer than 30 viewers, counted per show)');
      expect(row).not.toMatch(/%|¥|\d\.\d/);
    }
  });

  it('names the groups in the report’s language, with the stored value beside the name in the tables', () => {
    const r = reportOf(steered, SESSION_SCOPE, false);
    const zh = renderAuditHtml(r, { locale: 'zh-CN' });
    const en = renderAuditHtml(r, { locale: 'en' });
    expect(rowsOf(zh, '一线城市 (tier1)').length).toBeGreaterThanOrEqual(1);
    expect(rowsOf(en, 'tier-1 city (tier1)').length).toBeGreaterThanOrEqual(1);
    expect(rowsOf(zh, '安卓设备 (android)').length).toBeGreaterThanOrEqual(1);
    expect(rowsOf(en, 'new visitor (new)').length).toBeGreaterThanOrEqual(1);
    // The gap table and the charts use the name alone.
    expect(zh).toMatch(/<tr[^>]*><td>一线城市<\/td><td>高价商品占比<\/td>/);
    expect(svgs(zh).join('')).toContain('一线城市');
    // A known category by its name; one Qingliu does not know as it is.
    expect(rowsOf(zh, '玩具 (toys)').length).toBe(1);
    expect(rowsOf(en, 'toys')).toHaveLength(1); // its English name is its key: shown once
    expect(rowsOf(zh, 'care')).toHaveLength(1);
  });

  it('shows the simulated-audience banner only when the audience was simulated', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const simulated = renderAuditHtml(reportOf(steered, SESSION_SCOPE, true), { locale });
      expect(simulated).toContain('<div class="banner" role="note">SIMULATED AUDIENCE / 模拟观众');
      expect(simulated).toMatch(/<title>\[(SIMULATED|模拟)\] /);
      const real = renderAuditHtml(reportOf(steered, SESSION_SCOPE, false), { locale });
      expect(real).not.toContain('class="banner"');
      expect(real).not.toContain('模拟观众');
      expect(real).not.toContain('SIMULATED');
    }
  });

  it('is deterministic: the same report gives the same page, whatever was rendered before', () => {
    const r = reportOf(steered, SESSION_SCOPE, true);
    const first = renderAuditHtml(r, { locale: 'zh-CN' });
    renderAuditHtml(reportOf(tiny, BRAND_SCOPE, false), { locale: 'en' });
    const second = renderAuditHtml(r, { locale: 'zh-CN' });
    expect(second).toBe(first);
    // ECharts' process-wide ids are renumbered per chart of the page: none left, none shared.
    expect(first).not.toMatch(/zr\d+-/);
    const prefixes = svgs(first).map((s) => [...new Set(s.match(/fa\d+-/g) ?? [])]);
    expect(prefixes.map((p) => p.length <= 1)).toEqual([true, true, true, true]);
    expect(new Set(prefixes.flat()).size).toBe(prefixes.filter((p) => p.length > 0).length);
  });
});
