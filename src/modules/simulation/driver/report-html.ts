/**
 * The simulation report as one self-contained HTML page: the settings, the charts (cumulative
 * regret per arm, the learning curve of expected purchases per list, conversion per arm, and the
 * experiment's looks with their repeated intervals) rendered here, server-side, to inline SVG by
 * Apache ECharts, and tables of the figures (the chat and the assistant among them). No script, no style sheet or font from elsewhere, no
 * network: the file can be mailed or archived as it is. Every text taken from the report is escaped
 * (ECharts escapes the texts it draws).
 *
 * The page says in its title and on a banner that it is a SIMULATION (模拟), so it cannot be taken
 * for a report on real viewers.
 */
import type { LookAnalysis } from '../../experiments/index.js';
import { CHAT_MESSAGE_KINDS, type ArmFigures, type AssistantCounts, type LatencyFigures, type SimulationReport } from './report.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const pct = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)} %`);
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

type ECharts = typeof import('echarts');

/** One chart as an SVG string (ECharts server-side rendering; the instance is disposed). */
function svgChart(echarts: ECharts, option: Record<string, unknown>, width = 760, height = 340): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: 'sans-serif' }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const GRID = { left: 80, right: 30, top: 50, bottom: 70 };
/** A value axis named along its side (not above it, where the title is). */
const yAxis = (name: string) => ({ type: 'value', name, nameLocation: 'middle', nameGap: 55 });

function regretChart(echarts: ECharts, arms: readonly ArmFigures[]): string {
  return svgChart(echarts, {
    title: { text: 'Cumulative regret per arm (expected purchases lost vs the best list)', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 },
    grid: GRID,
    xAxis: { type: 'value', name: 'simulated minute', nameLocation: 'middle', nameGap: 28, min: 0 },
    yAxis: yAxis('cumulative regret'),
    series: arms.map((a) => ({ name: a.arm, type: 'line', showSymbol: false, data: a.regret.curve.map((p) => [p.minute + 1, p.cumulativeRegret]) })),
  });
}

function learningChart(echarts: ECharts, arms: readonly ArmFigures[]): string {
  return svgChart(echarts, {
    title: { text: 'Learning curve: mean expected purchases per list, by minute', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 },
    grid: GRID,
    xAxis: { type: 'value', name: 'simulated minute', nameLocation: 'middle', nameGap: 28, min: 0 },
    yAxis: yAxis('expected purchases / list'),
    series: arms.map((a) => ({ name: a.arm, type: 'line', showSymbol: false, connectNulls: false, data: a.regret.curve.map((p) => [p.minute, p.meanExpectedReward]) })),
  });
}

function conversionChart(echarts: ECharts, arms: readonly ArmFigures[]): string {
  return svgChart(echarts, {
    title: { text: 'Conversion per arm (buyers ÷ viewers served)', left: 'center', textStyle: { fontSize: 14 } },
    grid: GRID,
    xAxis: { type: 'category', data: arms.map((a) => a.arm) },
    yAxis: yAxis('conversion (%)'),
    series: [
      {
        type: 'bar',
        barMaxWidth: 60,
        data: arms.map((a) => (a.conversion === null ? null : Math.round(a.conversion * 1e6) / 1e4)),
        label: { show: true, position: 'top', formatter: '{c} %' },
      },
    ],
  });
}

/** The primary comparison of each look (difference with its repeated interval). */
function lookRows(report: SimulationReport): { look: LookAnalysis & { takenAt: number }; estimate: number | null; lo: number | null; hi: number | null }[] {
  const e = report.experiment;
  if (!e) return [];
  const primary = e.experiment.definition.primaryMetric;
  return e.looks.map((look) => {
    const c = look.comparisons.find((x) => x.metric === primary) ?? look.comparisons[0];
    return { look, estimate: c?.difference?.estimate ?? null, lo: c?.difference?.lo ?? null, hi: c?.difference?.hi ?? null };
  });
}

function looksChart(echarts: ECharts, report: SimulationReport): string {
  const rows = lookRows(report);
  const metric = report.experiment?.experiment.definition.primaryMetric ?? '';
  return svgChart(echarts, {
    title: { text: `Experiment looks: difference in ${metric} (treatment − control) with its repeated interval`, left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0 },
    grid: GRID,
    xAxis: { type: 'category', name: 'look', nameLocation: 'middle', nameGap: 28, data: rows.map((r) => String(r.look.look)) },
    yAxis: yAxis('difference'),
    series: [
      { name: 'difference', type: 'line', symbolSize: 8, data: rows.map((r) => r.estimate), markLine: { silent: true, symbol: 'none', data: [{ yAxis: 0 }], lineStyle: { color: '#888' } } },
      { name: 'interval low', type: 'line', lineStyle: { type: 'dashed' }, symbol: 'none', data: rows.map((r) => r.lo) },
      { name: 'interval high', type: 'line', lineStyle: { type: 'dashed' }, symbol: 'none', data: rows.map((r) => r.hi) },
    ],
  });
}

const CHAT_KIND_NAMES: Record<string, string> = {
  reaction: 'reactions',
  hostQuestion: 'questions to the host',
  blockedWords: 'spam the keyword filter blocks',
  link: 'links and shop codes',
  assistantMention: 'questions to the assistant (@助手)',
};

const TOPIC_NAMES: Record<string, string> = {
  pinnedProduct: 'the pinned product',
  namedProduct: 'a product by name',
  shopPolicy: 'shipping, returns, invoices',
  askForPerson: 'asking for a person',
  offTopic: 'off topic (to decline)',
};

const codesText = (m: Record<string, number>): string =>
  Object.entries(m)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ') || '—';

/** The chat's and the assistant's section. */
function talkSection(report: SimulationReport): string {
  const c = report.chat;
  const a = report.assistant;
  const chatRows = CHAT_MESSAGE_KINDS.map((kind) => {
    const k = c.byKind[kind];
    return [CHAT_KIND_NAMES[kind] ?? kind, int(k.sent), int(k.accepted), codesText(k.refusedByCode), codesText(k.failedByCode)];
  });
  chatRows.push(['all', int(c.sent), int(c.accepted), codesText(c.refusedByCode), codesText(c.failedByCode)]);
  const counts = (name: string, x: AssistantCounts) => [name, int(x.asked), int(x.answered), int(x.handoff), int(x.declined), int(x.refused), int(x.noAnswer)];
  const latency = (name: string, l: LatencyFigures) => [name, int(l.count), num(l.p50, 2), num(l.p99, 2), num(l.mean, 2), num(l.max, 2)];
  return `
<h2>Chat and the shopping assistant</h2>
<p>Chat messages the simulated viewers sent (nicknamed as simulated: 模拟观众 / Simulated viewer), and what the server did with them; the ack or refusal came ${escapeHtml(num(c.latencyMs.p50, 2))} ms after sending at the median (p99 ${escapeHtml(num(c.latencyMs.p99, 2))} ms).</p>
${table(['chat messages', 'sent', 'accepted', 'refused (by code)', 'no answer'], chatRows)}
${table(
  ['questions to the assistant', 'asked', 'answered', 'handed off', 'declined', 'refused', 'no answer'],
  [
    ...Object.entries(a.byTopic).map(([topic, x]) => counts(TOPIC_NAMES[topic] ?? topic, x)),
    counts('on its route (POST …/assistant)', a.byVia.http),
    counts('in the chat (@助手 …)', a.byVia.chat),
    counts('all', a),
  ],
)}
${table(['assistant latency as the viewer saw it', 'answers', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'], [latency('on its route', a.byVia.http.latencyMs), latency('in the chat (until the answer reached the viewer)', a.byVia.chat.latencyMs), latency('all', a.latencyMs)])}
<p>${a.refused > 0 ? `Refused: ${escapeHtml(codesText(a.refusedByCode))}. ` : ''}${a.noAnswer > 0 ? `Without an answer: ${escapeHtml(codesText(a.noAnswerByCode))}. ` : ''}${a.unlabelled > 0 ? `<strong>${escapeHtml(int(a.unlabelled))} answer(s) came without the AI label.</strong>` : 'Every answer carried the AI label (AI生成 / AI-generated).'}</p>`;
}

/** A cell that reads as a number (figures, percentages, intervals) is right-aligned. */
const NUMERIC = /^[-+−\d.,[\]%¥—/ ]+$/;

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${i > 0 && NUMERIC.test(String(c)) ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222;line-height:1.45}
h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.banner{background:#fff3cd;border:2px solid #e0a800;padding:10px 14px;font-weight:600;margin:12px 0 20px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.chart{margin:12px 0}.chart svg{max-width:100%;height:auto}ul.notes li{margin:4px 0;font-size:13px}
.verdict{font-weight:600}
`;

/** The HTML page of a report (async: ECharts is loaded only when a page is made). */
export async function renderHtmlReport(report: SimulationReport, generatedAt: Date = new Date()): Promise<string> {
  const echarts = await import('echarts');
  const arms = report.perArm;
  const title = `SIMULATION 模拟 — ${report.scenario.name} v${report.scenario.version} — Qingliu simulated audience report`;
  const settings = table(
    ['setting', 'value'],
    [
      ['scenario', `${report.scenario.name} (version ${report.scenario.version})`],
      ['seed', report.seed],
      ['mode', report.mode],
      ['target', report.target],
      ['session', report.sessionId],
      ['viewers (simulated)', int(report.viewers)],
      ['simulated minutes', report.minutes],
      ['speed (simulated minutes per real minute)', report.speed],
      ['items per list (k)', report.k],
      ['wall time', `${num(report.wallSeconds, 1)} s`],
      ['simulated viewers per second', num(report.viewersPerSecond, 1)],
      ['requests per second', num(report.requestsPerSecond, 1)],
      ['requests (errors)', `${int(report.requests.total)} (${int(report.requests.errors)})`],
    ],
  );
  const armTable = table(
    ['arm', 'lists', 'viewers', 'click-through', 'conversion', 'GMV / viewer (¥)', 'expected purchases / list', 'best possible / list', 'regret / list', 'regret (total)'],
    arms.map((a) => [
      a.arm,
      int(a.lists),
      int(a.viewers),
      pct(a.clickThrough, 3),
      pct(a.conversion, 2),
      num(a.gmvPerViewerYuan, 2),
      num(a.expectedPurchaseReward, 5),
      num(a.bestPossiblePurchaseReward, 5),
      num(a.regret.perList, 5),
      num(a.regret.total, 3),
    ]),
  );
  const routes = table(
    ['route', 'requests', 'by status', 'mean ms', 'p50 ms', 'p99 ms'],
    Object.values(report.requests.byRoute).map((r) => [
      r.route,
      int(r.total),
      Object.entries(r.byStatus)
        .map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`)
        .join(', '),
      num(r.latencyMs.mean, 2),
      num(r.latencyMs.p50, 2),
      num(r.latencyMs.p99, 2),
    ]),
  );
  const refusals = Object.entries(report.requests.refusedByCode);
  const c = report.consent;
  const consent = table(
    ['consent', 'value'],
    [
      ['decisions recorded', int(c.decisions)],
      ['accept all / decline all / custom', `${c.byMethod.accept_all} / ${c.byMethod.decline_all} / ${c.byMethod.custom}`],
      ...Object.entries(c.grantedShare).map(([purpose, share]) => [`granted: ${purpose}`, pct(share, 1)]),
      ['minors (under 14 / 14–17 / age declared)', `${c.minors.under14} / ${c.minors.from14To17} / ${c.minors.declared}`],
      ['switched personalisation off during the show', c.optOuts],
    ],
  );
  const sockets = report.sockets.held
    ? table(
        ['sockets', 'value'],
        [
          ['opened / failed', `${report.sockets.opened} / ${report.sockets.failed}`],
          ['most open at once', report.sockets.peak],
          ['messages received', int(report.sockets.messages)],
          ["the room's viewer counter, highest seen", report.sockets.roomViewersPeak ?? '—'],
        ],
      )
    : '<p>No sockets in process (app.inject has none); over HTTP each present viewer holds the room socket.</p>';

  let experiment = '';
  if (report.experiment) {
    const e = report.experiment;
    const u = report.uplift;
    const rows = lookRows(report);
    experiment = `
<h2>Experiment ${escapeHtml(e.experiment.name)} (${escapeHtml(e.experiment.id)}, ${escapeHtml(e.experiment.status)})</h2>
${u ? `<p class="verdict">Latest look ${escapeHtml(u.look)} (information fraction ${escapeHtml(num(u.fraction, 3))}): ${escapeHtml(u.treatment)} − ${escapeHtml(u.control)} in ${escapeHtml(u.metric)} = ${escapeHtml(num(u.difference?.estimate, 5))} [${escapeHtml(num(u.difference?.lo, 5))}, ${escapeHtml(num(u.difference?.hi, 5))}]; relative uplift ${escapeHtml(pct(u.relativeUplift?.estimate, 1))} [${escapeHtml(pct(u.relativeUplift?.lo, 1))}, ${escapeHtml(pct(u.relativeUplift?.hi, 1))}]. Verdict: ${escapeHtml(u.verdictText)}</p>` : '<p>No look has been taken yet.</p>'}
${rows.length > 0 ? `<div class="chart">${looksChart(echarts, report)}</div>` : ''}
${table(
  ['look', 'taken at', 'fraction', 'bound (z)', 'difference', 'repeated interval', 'verdict'],
  rows.map((r) => {
    const comparison = r.look.comparisons[0];
    return [r.look.look, new Date(r.look.takenAt).toISOString(), num(r.look.fraction, 3), num(r.look.bound, 3), num(r.estimate, 5), `[${num(r.lo, 5)}, ${num(r.hi, 5)}]`, comparison?.verdict.text.en ?? '—'];
  }),
)}
${table(
  ['server arm', 'cohort', 'units', 'lists', 'impressions', 'click-through', 'orders', 'GMV (¥)'],
  e.arms.map((a) => [a.arm, a.cohort, a.units ?? '—', int(a.requests), int(a.impressions), pct(a.clickThrough, 3), int(a.orders), num(a.gmvYuan, 2)]),
)}
<p>${escapeHtml(e.method)}</p>`;
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="banner">SIMULATION 模拟 — every viewer in this report is simulated (模拟观众); no real person is counted. Generated ${escapeHtml(generatedAt.toISOString())}.</div>
<h2>Scenario and settings</h2>
${settings}
<h2>Per arm</h2>
${armTable}
<div class="chart">${regretChart(echarts, arms)}</div>
<div class="chart">${learningChart(echarts, arms)}</div>
<div class="chart">${conversionChart(echarts, arms)}</div>
${experiment}
<h2>Consent and minors</h2>
${consent}
${talkSection(report)}
<h2>Requests</h2>
${routes}
${refusals.length > 0 ? table(['refused (4xx) by code', 'count'], refusals.map(([code, n]) => [code, int(n)])) : '<p>No request was refused.</p>'}
<p>Orders placed: ${escapeHtml(int(report.orders.placed))}. Host steps: ${escapeHtml(report.host.done)} done, ${escapeHtml(report.host.refused)} refused of ${escapeHtml(report.host.steps)}.</p>
<h2>Sockets</h2>
${sockets}
<h2>Notes</h2>
<ul class="notes">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}</ul>
</body>
</html>
`;
}
