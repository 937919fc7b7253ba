/**
 * A chart drawn once its (lazily imported) chart module has loaded: the canvas ref to attach, and
 * whether it is loading, drawn or failed. The chart is redrawn when `key` (the serialised spec)
 * changes and disposed on unmount. Only types are imported here, so ECharts stays out of the page's
 * first bundle.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ChartHandle, ChartOption } from './charts.ts';

export type ChartState = 'loading' | 'ready' | 'failed';

export type ChartsModule = typeof import('./charts.ts');

let chartsModule: Promise<ChartsModule> | null = null;
/** The consoles' chart module (ECharts), imported once, on first use. */
export const loadCharts = (): Promise<ChartsModule> => (chartsModule ??= import('./charts.ts'));

export function useLazyChart<M extends { mountChart(element: HTMLElement): ChartHandle }>(
  load: () => Promise<M>,
  key: string,
  optionOf: (module: M, key: string) => ChartOption,
): { canvas: RefObject<HTMLDivElement | null>; state: ChartState } {
  const canvas = useRef<HTMLDivElement>(null);
  const handle = useRef<ChartHandle | null>(null);
  const [state, setState] = useState<ChartState>('loading');
  useEffect(() => {
    let live = true;
    load().then(
      (charts) => {
        if (!live || !canvas.current) return;
        handle.current ??= charts.mountChart(canvas.current);
        handle.current.update(optionOf(charts, key));
        setState('ready');
      },
      () => live && setState('failed'),
    );
    return () => {
      live = false;
    };
  }, [key]);
  useEffect(
    () => () => {
      handle.current?.dispose();
      handle.current = null;
    },
    [],
  );
  return { canvas, state };
}
