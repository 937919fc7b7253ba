/**
 * The HTML report: one self-contained page that says it is a simulation, carries its charts as
 * inline SVG rendered on the server (no script, nothing loaded from elsewhere) and escapes every
 * text it takes from the report.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentReport } from '../../experiments/index.js';
import { buildReport, Tally, type SimulationReport } from './report.js';
import { escapeHtml, renderHtmlReport } from './report-html.js';
import { emptyTargetStats } from './target.js';

const EVIL = '<script>alert("x")</script>';

function report(experiment: ExperimentReport | null = null): SimulationReport {
  const t = new Tally();
  for (let m = 0; m < 10; m++) {
    t.list('personalised', m, m + 0.5, 4, 0.01 + m / 1000, 0.02);
    t.list(`arm${EVIL}`, 100 + m, m + 0.5, 4, 0.012, 0.015);
  }
  t.click('personalised');
  t.order('personalised', 1, 9900);
  t.request('recommendations', { status: 200, body: undefined, ms: 3 });
  t.request('orders', { status: 409, body: undefined, code: 'PRICE_CHANGED', ms: 3 });
  t.chatMessage('reaction', { outcome: 'accepted', messageId: 'm1', ms: 2 });
  t.chatMessage('blockedWords', { outcome: 'refused', code: `CHAT_BLOCKED_WORDS${EVIL}`, ms: 2 });
  const asked = { outcome: 'accepted' as const, messageId: 'm2', ms: 2, assistant: { messageId: 'a', handoff: true, sources: 0, aiGenerated: true, label: 'AI生成 / AI-generated', ms: 30 } };
  t.chatMessage('assistantMention', asked);
  t.assistantInChat('askForPerson', asked);
  t.assistantOverHttp('shopPolicy', { status: 200, body: { outcome: 'answered', aiGenerated: true, label: 'AI生成 / AI-generated' }, ms: 4 });
  return buildReport(t, {
    scenario: { name: `baby-care${EVIL}`, version: 2 },
    seed: 7,
    mode: 'http',
    target: `http://127.0.0.1:3000/${EVIL}`,
    sessionId: 'demo',
    viewers: 20,
    minutes: 10,
    speed: 60,
    k: 4,
    wallSeconds: 3,
    targetStats: { ...emptyTargetStats(), socketsOpened: 20, socketsPeak: 9, roomViewersPeak: 9 },
    holdsSockets: true,
    experiment,
    notes: [`note ${EVIL} & more`],
  });
}

function experimentReport(): ExperimentReport {
  const comparison = (estimate: number) => ({
    treatment: 'bandit',
    control: 'control',
    metric: 'conversion',
    difference: { estimate, lo: estimate - 0.05, hi: estimate + 0.05, se: 0.02 },
    relativeUplift: { estimate: 0.2, lo: -0.5, hi: 0.9 },
    z: 0.5,
    crossed: false,
    guardrails: [],
    verdict: { kind: 'no_detectable_difference' as const, final: false, text: { zh: '暂无差异', en: `no detectable difference ${EVIL}` } },
  });
  const look = (n: number) => ({ look: n, fraction: n / 2, bound: 3 - n, alphaPerComparison: 0.05, final: n === 2, arms: [], comparisons: [comparison(0.01 * n)], takenAt: 1_700_000_000_000 + n * 300_000 });
  return {
    experiment: {
      id: 'exp-0123456789ab',
      brandId: 'demo-brand',
      name: `Bandit vs control ${EVIL}`,
      status: 'stopped',
      simulated: true,
      definition: {
        name: 'x',
        brandId: 'demo-brand',
        sessionIds: ['demo'],
        arms: [],
        allocation: [0.5, 0.5],
        control: 'control',
        primaryMetric: 'conversion',
        guardrails: [],
        alpha: 0.05,
        spending: 'obrien_fleming',
        plannedUnitsPerArm: 100,
        lookEveryMinutes: 5,
      },
      createdBy: 'sim',
      createdAt: 0,
      startedAt: 0,
      stoppedAt: 1,
      stopReason: 'simulation ended',
    },
    arms: [
      {
        arm: 'control',
        name: 'Control',
        policy: 'non_personalised',
        cohort: 'in',
        units: 50,
        requests: 80,
        impressions: 320,
        clickThrough: 0.02,
        cartRate: 0.01,
        orders: 2,
        gmvYuan: 99,
        energy: { rankingCpuMsPer1000: null, whPer1000: null, method: 'm' },
      },
    ],
    looks: [look(1), look(2)],
    latest: look(2),
    method: `method ${EVIL}`,
  };
}

describe('renderHtmlReport', () => {
  it('is one self-contained page: titled SIMULATION 模拟, charts as inline SVG, no script, nothing loaded from elsewhere', async () => {
    const html = await renderHtmlReport(report(), new Date('2026-01-01T00:00:00Z'));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toMatch(/<title>SIMULATION 模拟 — /);
    expect(html).toMatch(/<h1>SIMULATION 模拟/);
    expect(html).toContain('every viewer in this report is simulated');
    // Regret, learning and conversion charts (no experiment: no looks chart).
    expect(html.match(/<svg[\s>]/g)).toHaveLength(3);
    expect(html).toContain('Cumulative regret per arm');
    expect(html).toContain('Learning curve');
    expect(html).toContain('Conversion per arm');
    expect(html).not.toMatch(/<script/i);
    // ECharts clips with url(#…): a fragment of the page itself, never a fetch.
    expect(html).not.toMatch(/<link|<iframe|<img|<object|<embed|\bsrc=|\bhref=|@import|url\((?!#)/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  });

  it('escapes every text it takes from the report (scenario, target, arms, notes, experiment)', async () => {
    const html = await renderHtmlReport(report(experimentReport()));
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).toContain(`baby-care${escapeHtml(EVIL)}`);
    expect(html).toContain(`note ${escapeHtml(EVIL)} &amp; more`);
  });

  it('shows the experiment’s looks: a chart of the difference with its repeated interval, and a table per look', async () => {
    const html = await renderHtmlReport(report(experimentReport()));
    expect(html.match(/<svg[\s>]/g)).toHaveLength(4);
    expect(html).toContain('Experiment looks: difference in conversion');
    expect(html).toMatch(/Latest look 2 \(information fraction 1\.000\): bandit − control in conversion = 0\.02000 \[-0\.03000, 0\.07000\]/);
    expect(html).toContain('2023-11-14T22:18:20.000Z');
    expect(html).toContain('[-0.04000, 0.06000]');
  });

  it('shows the chat and the assistant: messages by kind and what came of them, questions by topic and way, the latency viewers saw', async () => {
    const html = await renderHtmlReport(report());
    expect(html).toContain('<h2>Chat and the shopping assistant</h2>');
    expect(html).toContain('<td>questions to the assistant (@助手)</td><td class="n">1</td><td class="n">1</td>');
    expect(html).toContain(`CHAT_BLOCKED_WORDS${escapeHtml(EVIL)} 1`);
    expect(html).toContain('<td>asking for a person</td><td class="n">1</td><td class="n">0</td><td class="n">1</td>');
    expect(html).toContain('<td>shipping, returns, invoices</td><td class="n">1</td><td class="n">1</td>');
    expect(html).toMatch(/<td>in the chat \(until the answer reached the viewer\)<\/td><td class="n">1<\/td><td class="n">30\.00<\/td>/);
    expect(html).toContain('Every answer carried the AI label');
    expect(html).not.toContain(EVIL);
  });

  it('escapes the five characters that matter in HTML', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
