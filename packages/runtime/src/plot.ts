/**
 * SVG plots for the examples: a vega-lite spec is compiled to vega and rendered headless in
 * Node. vega and vega-lite are loaded on first use, so importing the runtime stays cheap and
 * dependency-free for code that never plots.
 */
import type { TopLevelSpec } from 'vega-lite';

/** Render a vega-lite spec to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Render a vega-lite spec and write it to `path` (creating folders). Returns the path relative
 * to the working directory, ready to print.
 */
export async function writePlot(path: string, spec: TopLevelSpec): Promise<string> {
  const [{ mkdir, writeFile }, { dirname, relative }] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const svg = await renderSvg(spec);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, svg);
  return relative(process.cwd(), path);
}

/**
 * Where an example keeps its plots: `out/<file>` beside the module whose `import.meta.url` is
 * given (examples/.gitignore keeps these out of git).
 */
export function outPath(importMetaUrl: string, file: string): string {
  return decodeURIComponent(new URL(`out/${file}`, importMetaUrl).pathname);
}

/** A named curve y(x), drawn as a line. */
export interface Curve {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** dash pattern, e.g. [6, 4] for the true curve under a fitted one */
  dash?: number[];
}

export interface FitPlotOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** the observations, drawn as points */
  data: { x: ArrayLike<number>; y: ArrayLike<number>; name?: string };
  /** fitted (and true) curves, drawn as lines; each gets its own colour and legend entry */
  curves: Curve[];
  width?: number;
  height?: number;
  /** fixed axis ranges (default: fitted to the data, not forced to include zero) */
  xDomain?: [number, number];
  yDomain?: [number, number];
}

/** Scatter of the data with the fitted curve(s) on top: the plot every curve-fitting example writes. */
export function fitPlotSpec(o: FitPlotOptions): TopLevelSpec {
  const dataName = o.data.name ?? 'data';
  const points = Array.from(o.data.x, (x, i) => ({ x, y: o.data.y[i], series: dataName }));
  const series = [dataName, ...o.curves.map((c) => c.name)];
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: o.xLabel ?? 'x',
    scale: o.xDomain ? { domain: o.xDomain, nice: false } : { zero: false },
  };
  const y = {
    field: 'y',
    type: 'quantitative' as const,
    title: o.yLabel ?? 'y',
    scale: o.yDomain ? { domain: o.yDomain, nice: false } : { zero: false },
  };
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: series },
    legend: { labelLimit: 400, orient: 'bottom', direction: 'vertical' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 300,
    background: 'white',
    layer: [
      // one layer per curve, so that each can have its own dash pattern
      ...o.curves.map((c) => ({
        data: { values: Array.from(c.x, (xv, i) => ({ x: xv, y: c.y[i], i, series: c.name })) },
        mark: { type: 'line' as const, strokeWidth: 2, ...(c.dash ? { strokeDash: c.dash } : {}) },
        // connect the points in the order given, so parametric curves (a circle) draw correctly
        encoding: { x, y, color, order: { field: 'i', type: 'quantitative' as const } },
      })),
      { data: { values: points }, mark: { type: 'point', filled: true, size: 40 }, encoding: { x, y, color } },
    ],
  };
}

export interface LinePlotOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  curves: Curve[];
  /** logarithmic y axis (for loss curves and error tables) */
  logY?: boolean;
  /** logarithmic x axis */
  logX?: boolean;
  /** draw a point at each sample as well as the line */
  points?: boolean;
  width?: number;
  height?: number;
}

/** One or more lines, e.g. a loss curve per epoch, or errors against step size. */
export function linePlotSpec(o: LinePlotOptions): TopLevelSpec {
  const values = o.curves.flatMap((c) => Array.from(c.x, (x, i) => ({ x, y: c.y[i], series: c.name })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: o.title,
    width: o.width ?? 480,
    height: o.height ?? 300,
    background: 'white',
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: o.points ?? false },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: o.xLabel ?? 'x',
        scale: o.logX ? { type: 'log' } : { zero: false },
        axis: o.logX ? { format: '~g' } : {},
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: o.yLabel ?? 'y',
        scale: o.logY ? { type: 'log' } : { zero: false },
        axis: o.logY ? { format: '~g' } : {},
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: o.curves.map((c) => c.name) },
        legend: { labelLimit: 400, orient: 'bottom', direction: 'vertical' },
      },
    },
  };
}
