/**
 * The pages' Apache ECharts setup: only the pieces used — line and bar charts on a simple cartesian
 * grid, drawn by the SVG renderer — so the chunk stays small (no tooltip, legend or mark-line
 * components: pages put legends and the numbers, as tables, in HTML, which also serves screen
 * readers). Load it with a dynamic import so a page's shell renders before the charts arrive.
 * Type and neutral colours follow styles.css; series colours come with each chart's data.
 */
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import { GridSimpleComponent, type GridComponentOption } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([LineChart, BarChart, GridSimpleComponent, SVGRenderer]);

export type ChartOption = ComposeOption<LineSeriesOption | BarSeriesOption | GridComponentOption>;
export type { BarSeriesOption, LineSeriesOption };

/** The stylesheet's font stack and colours (styles.css :root). */
export const CHART_FONT = '"PingFang SC", "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "Hiragino Sans GB", system-ui, sans-serif';
export const CHART_COLOURS = {
  text: '#2a211d',
  muted: '#6b5d55',
  border: '#eedfd4',
} as const;

/** Options every chart shares: type, no animation when the reader asks for less motion, room for the axes. */
export function baseOption(): ChartOption {
  const reduceMotion = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
  return {
    animation: !reduceMotion,
    textStyle: { fontFamily: CHART_FONT, color: CHART_COLOURS.text },
    // Axis labels and names are kept inside this rectangle (the grid shrinks to fit them).
    grid: { left: 8, right: 24, top: 36, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'all' },
  };
}

/** Axis labels in the muted text colour. */
export const AXIS_LABEL = { color: CHART_COLOURS.muted, fontSize: 12 } as const;

/** The x axis of the consoles' trend charts: one category per point, named below, labels that do not overlap. */
export function categoryXAxis(categories: string[], name: string): NonNullable<ChartOption['xAxis']> {
  return {
    type: 'category',
    data: categories,
    name,
    nameLocation: 'middle',
    nameGap: 30,
    nameTextStyle: { color: CHART_COLOURS.muted },
    axisLabel: { ...AXIS_LABEL, hideOverlap: true },
    axisTick: { show: false },
  };
}

export interface ChartHandle {
  /** Replaces the whole option (series that disappeared are removed). */
  update(option: ChartOption): void;
  dispose(): void;
}

/** Draws into `element` with the SVG renderer and follows its size. */
export function mountChart(element: HTMLElement): ChartHandle {
  const chart: ECharts = init(element, undefined, { renderer: 'svg' });
  const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(() => chart.resize()) : null;
  observer?.observe(element);
  return {
    update(option) {
      chart.setOption(option, { notMerge: true });
    },
    dispose() {
      observer?.disconnect();
      chart.dispose();
    },
  };
}
