/** Table, JSON and SVG output of the benchmark. */
import type { Timing } from './timing.ts';
import type { AllocReport } from './alloc.ts';
import type { CodegenReport } from './codegen.ts';

export interface Check {
  what: string;
  relDiff: number;
  tol: number;
  ok: boolean;
  /** informative only: does not fail the run */
  advisory?: boolean;
}

export interface Target {
  what: string;
  value: number | undefined;
  limit: number;
  /** 'max': value ≤ limit is met; 'min': value ≥ limit is met */
  sense: 'max' | 'min';
  met: boolean | undefined;
}

export interface ModelResult {
  key: string;
  title: string;
  size: string;
  paramCount: number;
  genMissing?: string;
  /** median per-call times, ms (fd and tfjs already extrapolated to the full problem) */
  ms: {
    primal: number;
    grad?: number;
    jvp?: number;
    hand: number;
    fd: number;
    tfjs?: number;
  };
  timings: Record<string, Timing>;
  fdNote: string;
  tfjsNote: string;
  ratios: {
    gradOverPrimal?: number;
    jvpOverPrimal?: number;
    gradOverHand?: number;
    handOverPrimal: number;
    tfjsOverGrad?: number;
    fdOverGrad?: number;
  };
  targets: Target[];
  checks: Check[];
  alloc: { genGrad?: AllocReport; genJvp?: AllocReport; hand?: AllocReport };
  /** `adgenTapePeakBytes()` of the generated module after the gradient ran, if exported */
  tapePeakBytes?: number;
  tapeScan: string[];
  notes: string[];
}

export interface BenchReport {
  date: string;
  mode: 'full' | 'quick';
  node: string;
  cpu: string;
  platform: string;
  /** os.loadavg() at the end of the run */
  loadAverage: number[];
  settings: Record<string, unknown>;
  models: ModelResult[];
  codegen?: CodegenReport;
  failures: string[];
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return 'n/a';
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

function table(head: string[], rows: string[][], alignLeft = 1): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < alignLeft ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), w.map((n) => '─'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function mark(t: Target | undefined): string {
  if (!t || t.met === undefined) return '';
  return t.met ? ' ✓' : ' ✗';
}

export function renderTables(models: ModelResult[]): string {
  const times = table(
    ['model', 'size', 'primal', 'adgen grad', 'adgen jvp', 'hand grad', 'central FD', 'tfjs grad'],
    models.map((m) => [
      m.title,
      m.size,
      fmtMs(m.ms.primal),
      fmtMs(m.ms.grad),
      fmtMs(m.ms.jvp),
      fmtMs(m.ms.hand),
      fmtMs(m.ms.fd) + (m.fdNote ? '*' : ''),
      fmtMs(m.ms.tfjs) + (m.tfjsNote ? '†' : ''),
    ]),
    2,
  );
  const t = (m: ModelResult, what: string) => m.targets.find((x) => x.what === what);
  const lim = (x: Target | undefined) => (x ? ` (${x.sense === 'max' ? '≤' : '≥'}${x.limit})` : '');
  const ratios = table(
    ['model', 'grad/primal', 'jvp/primal', 'grad/hand', 'hand/primal', 'tfjs/grad', 'fd/grad'],
    models.map((m) => {
      const gp = t(m, 'grad/primal');
      const jp = t(m, 'jvp/primal');
      const gh = t(m, 'grad/hand');
      const tg = t(m, 'tfjs/grad');
      return [
        m.title,
        fmtRatio(m.ratios.gradOverPrimal) + lim(gp) + mark(gp),
        fmtRatio(m.ratios.jvpOverPrimal) + lim(jp) + mark(jp),
        fmtRatio(m.ratios.gradOverHand) + lim(gh) + mark(gh),
        fmtRatio(m.ratios.handOverPrimal),
        fmtRatio(m.ratios.tfjsOverGrad) + lim(tg) + mark(tg),
        fmtRatio(m.ratios.fdOverGrad),
      ];
    }),
  );
  // the fastest sample of each variant: less sensitive to other load on the machine
  const best = (m: ModelResult, k: string) => m.timings[k]?.min;
  const rb = (m: ModelResult, a: string, b: string) => {
    const x = best(m, a);
    const y = best(m, b);
    return x === undefined || y === undefined ? undefined : x / y;
  };
  const byMin = table(
    ['model', 'grad/primal', 'jvp/primal', 'grad/hand', 'hand/primal'],
    models.map((m) => [
      m.title,
      fmtRatio(rb(m, 'grad', 'primal')),
      fmtRatio(rb(m, 'jvp', 'primal')),
      fmtRatio(rb(m, 'grad', 'hand')),
      fmtRatio(rb(m, 'hand', 'primal')),
    ]),
  );
  const foot: string[] = [];
  for (const m of models) {
    if (m.fdNote) foot.push(`*  ${m.title}: ${m.fdNote}`);
    if (m.tfjsNote) foot.push(`†  ${m.title}: ${m.tfjsNote}`);
  }
  return (
    `Median time per call\n${times}\n\n` +
    `Ratios of medians (SPEC §7 targets in parentheses; ✓ met, ✗ missed)\n${ratios}\n` +
    (foot.length ? '\n' + foot.join('\n') + '\n' : '') +
    `\nThe same ratios from each variant's fastest sample (less sensitive to other load)\n${byMin}`
  );
}

/** Grouped bar chart: each variant's time relative to the primal, log scale. */
export async function renderSvg(models: ModelResult[]): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const values: { model: string; variant: string; ratio: number; base: number; label: string }[] =
    [];
  for (const m of models) {
    const add = (variant: string, ms: number | undefined) => {
      if (ms !== undefined && Number.isFinite(ms) && ms > 0) {
        const ratio = ms / m.ms.primal;
        values.push({
          model: `${m.title} (${m.size})`,
          variant,
          ratio,
          base: 0,
          label: fmtRatio(ratio),
        });
      }
    };
    add('adgen grad', m.ms.grad);
    add('adgen jvp', m.ms.jvp);
    add('hand grad', m.ms.hand);
    add('central FD', m.ms.fd);
    add('tfjs grad', m.ms.tfjs);
  }
  // log-scale bars need a positive base: the power of ten below the smallest ratio
  const base = 10 ** Math.floor(Math.log10(Math.min(1, ...values.map((v) => v.ratio))));
  for (const v of values) v.base = base;
  const variants = ['adgen grad', 'adgen jvp', 'hand grad', 'central FD', 'tfjs grad'];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'adgen benchmark: time per call relative to the primal (log scale)',
    data: { values },
    facet: {
      column: {
        field: 'model',
        type: 'nominal',
        title: null,
        sort: models.map((m) => `${m.title} (${m.size})`),
        header: { labelFontSize: 11 },
      },
    },
    spec: {
      width: 220,
      height: 260,
      encoding: {
        x: {
          field: 'variant',
          type: 'nominal',
          sort: variants,
          title: null,
          axis: { labelAngle: -40 },
        },
        y: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: 'time / primal' },
      },
      layer: [
        {
          mark: 'bar',
          encoding: {
            y2: { field: 'base' },
            color: { field: 'variant', type: 'nominal', sort: variants, legend: null },
          },
        },
        {
          mark: { type: 'text', dy: -6, fontSize: 9 },
          encoding: { text: { field: 'label' } },
        },
      ],
    },
  };
  // the spec is plain data; vega-lite's TopLevelSpec type is too deep to spell out here
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  return view.toSVG();
}
