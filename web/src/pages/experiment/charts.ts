/**
 * The experiment page's charts, loaded with a dynamic import (this module pulls in ECharts). The page
 * describes each chart as plain data — a `ChartSpec` with its labels already in the page's language
 * and its colours chosen (the page draws the legend in HTML) — and this module turns it into an
 * ECharts option:
 * - `interval`: an estimate per look with its repeated interval as a shaded band and a bar per look
 *   from its low to its high end (so a single look shows too), over a marked zero line;
 * - `lines`: one line per arm, the latest value labelled;
 * - `bars`: one bar per arm with its value on top.
 */
import { baseOption, CHART_COLOURS, mountChart, type BarSeriesOption, type ChartHandle, type ChartOption, type LineSeriesOption } from '../../ui/charts.ts';

export { mountChart, type ChartHandle };

type Value = number | null;

interface Axes {
  /** The x axis' name (e.g. "look (share of the planned sample, by precision)"). */
  xName: string;
  /** The y axis' name with its unit. */
  yName: string;
  /** Shown after values in labels ("pp", "%", "Wh" or ""). */
  unit: string;
  /** Decimals of the labels; 'significant': three significant digits (small figures such as energy). */
  digits: number | 'significant';
}

export interface IntervalChartSpec extends Axes {
  kind: 'interval';
  categories: string[];
  estimate: Value[];
  lo: Value[];
  hi: Value[];
  colour: string;
  /** The axis runs from −limit to +limit (in the chart's units); values past it are drawn cut at its edge. */
  limit?: number;
}

export interface LinesChartSpec extends Axes {
  kind: 'lines';
  categories: string[];
  series: { name: string; values: Value[]; colour: string }[];
}

export interface BarsChartSpec extends Axes {
  kind: 'bars';
  categories: string[];
  values: Value[];
  colours: string[];
}

export type ChartSpec = IntervalChartSpec | LinesChartSpec | BarsChartSpec;

const MINUS = '\u2212';
const SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'roundRect', 'pin'];

function decimals(value: number, digits: Axes['digits']): number {
  if (digits !== 'significant') return digits;
  if (value === 0) return 0;
  return Math.min(12, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value)))));
}

function formatValue(value: Value | undefined, spec: Pick<Axes, 'digits' | 'unit'>, sign = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const text = Math.abs(value).toFixed(decimals(value, spec.digits));
  const zero = Number(text) === 0;
  const prefix = zero ? '' : value < 0 ? MINUS : sign ? '+' : '';
  return `${prefix}${text}${spec.unit ? ` ${spec.unit}` : ''}`;
}

const axisLabel = { color: CHART_COLOURS.muted, fontSize: 12 };

function xAxis(spec: Axes & { categories: string[] }, zeroLine: boolean): ChartOption['xAxis'] {
  return {
    type: 'category',
    data: spec.categories,
    name: spec.xName,
    nameLocation: 'middle',
    nameGap: 30,
    nameTextStyle: { color: CHART_COLOURS.muted },
    axisLabel: { ...axisLabel, hideOverlap: true },
    axisTick: { show: false },
    // On the interval charts the axis line sits at y = 0: the "no difference" line.
    axisLine: zeroLine ? { onZero: true, lineStyle: { color: CHART_COLOURS.text, width: 1.5, type: 'dashed' } } : { lineStyle: { color: CHART_COLOURS.muted } },
  };
}

function yAxis(spec: Axes): ChartOption['yAxis'] {
  return {
    type: 'value',
    name: spec.yName,
    nameLocation: 'end',
    nameTextStyle: { color: CHART_COLOURS.muted, align: 'left' },
    // Fixed decimals keep the ticks aligned; significant digits are left to ECharts' own tick labels.
    axisLabel: spec.digits === 'significant' ? axisLabel : { ...axisLabel, formatter: (v: number) => formatValue(v, { digits: spec.digits, unit: '' }) },
    splitLine: { lineStyle: { color: CHART_COLOURS.border } },
  };
}

/** The last non-empty point's index: its value is labelled on the chart. */
function lastIndex(values: readonly Value[]): number {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return i;
  return -1;
}

function labelledLast(values: readonly Value[], spec: Pick<Axes, 'digits' | 'unit'>, colour: string, sign: boolean): LineSeriesOption['data'] {
  const last = lastIndex(values);
  return values.map((value, i) =>
    i === last && value !== null
      ? { value, label: { show: true, position: 'top', color: colour, fontWeight: 'bold', formatter: () => formatValue(value, spec, sign) } }
      : value,
  );
}

function intervalOption(full: IntervalChartSpec): ChartOption {
  // Cut at the axis' edge when it has one: the band and bars then end there instead of stretching it.
  const limit = full.limit;
  const cut = (values: Value[]): Value[] => (limit === undefined ? values : values.map((v) => (v === null ? null : Math.max(-limit, Math.min(limit, v)))));
  const spec = { ...full, estimate: cut(full.estimate), lo: cut(full.lo), hi: cut(full.hi) };
  const colour = spec.colour;
  const width = spec.lo.map((lo, i) => {
    const hi = spec.hi[i];
    return lo === null || hi === null || hi === undefined ? null : hi - lo;
  });
  const stacked = (stack: string) => ({ stack, stackStrategy: 'all' as const, silent: true });
  const series: (LineSeriesOption | BarSeriesOption)[] = [
    // The band: an invisible line at the low end with the width stacked on it, shaded.
    { type: 'line', data: spec.lo, ...stacked('band'), symbol: 'none', lineStyle: { opacity: 0 } },
    { type: 'line', data: width, ...stacked('band'), symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: colour, opacity: 0.16 } },
    // Each look's interval as a thin bar from low to high.
    { type: 'bar', data: spec.lo, ...stacked('bar'), barWidth: 6, itemStyle: { color: 'transparent' } },
    { type: 'bar', data: width, ...stacked('bar'), barWidth: 6, itemStyle: { color: colour, opacity: 0.45, borderRadius: 3 } },
    {
      type: 'line',
      data: labelledLast(spec.estimate, spec, colour, true),
      silent: true,
      symbol: 'circle',
      symbolSize: 9,
      itemStyle: { color: colour },
      lineStyle: { width: 2.5, color: colour },
      connectNulls: false,
      z: 5,
    },
  ];
  const y = yAxis(spec);
  return { ...baseOption(), xAxis: xAxis(spec, true), yAxis: limit === undefined ? y : ({ ...(y as object), min: -limit, max: limit } as ChartOption['yAxis']), series };
}

function linesOption(spec: LinesChartSpec): ChartOption {
  return {
    ...baseOption(),
    xAxis: xAxis(spec, false),
    yAxis: yAxis(spec),
    // Each arm its own marker too, so the lines stay apart without colour.
    series: spec.series.map(
      (s, i): LineSeriesOption => ({
        type: 'line',
        name: s.name,
        data: labelledLast(s.values, spec, s.colour, false),
        silent: true,
        symbol: SYMBOLS[i % SYMBOLS.length],
        symbolSize: 9,
        itemStyle: { color: s.colour },
        lineStyle: { width: 2.5, color: s.colour },
        connectNulls: false,
      }),
    ),
  };
}

function barsOption(spec: BarsChartSpec): ChartOption {
  const bars: BarSeriesOption = {
    type: 'bar',
    silent: true,
    barMaxWidth: 56,
    data: spec.values.map((value, i) => ({ value: value ?? '-', itemStyle: { color: spec.colours[i] ?? CHART_COLOURS.muted } })),
    label: { show: true, position: 'top', color: CHART_COLOURS.text, formatter: (p: { dataIndex: number }) => formatValue(spec.values[p.dataIndex], spec) },
  };
  const x = xAxis(spec, false) as Record<string, unknown>;
  return {
    ...baseOption(),
    xAxis: { ...x, axisLabel: { ...axisLabel, interval: 0, width: 120, overflow: 'break' } } as ChartOption['xAxis'],
    yAxis: yAxis(spec),
    series: [bars],
  };
}

export function chartOption(spec: ChartSpec): ChartOption {
  switch (spec.kind) {
    case 'interval':
      return intervalOption(spec);
    case 'lines':
      return linesOption(spec);
    case 'bars':
      return barsOption(spec);
  }
}
