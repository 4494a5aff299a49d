/**
 * Renders check results: a text table (one row per function, failures explained underneath) or
 * JSON. Pure functions of the results; the CLI decides where the text goes.
 */

import path from 'node:path';
import type { Diagnostic } from '../api-types.ts';
import { formatDiagnostic } from '../diagnostics/format.ts';
import { TOLERANCES, type CheckResult } from './evaluate.ts';

export interface ReportContext {
  seed: number;
  points: number;
  /** paths are shown relative to this directory */
  base: string;
  diagnostics: readonly Diagnostic[];
  /** text: only diagnostics and the rows of failing functions (`--quiet`) */
  quiet?: boolean;
}

/** `3.2e-11`, `0` or `-` (not measured). */
function sci(x: number | null): string {
  if (x === null) return '-';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(1);
}

function rel(base: string, file: string): string {
  const r = path.relative(base, file);
  return r === '' ? path.basename(file) : r.split(path.sep).join('/');
}

/** The text table. */
export function formatText(all: readonly CheckResult[], ctx: ReportContext): string {
  const lines: string[] = [];
  for (const d of ctx.diagnostics) lines.push(formatDiagnostic(d, ctx.base));
  if (ctx.diagnostics.length > 0) lines.push('');
  const results = ctx.quiet ? all.filter((r) => r.status === 'FAIL') : all;
  if (ctx.quiet && results.length === 0) return lines.join('\n');
  if (results.length === 0) {
    lines.push('adgen check: no differentiable functions to check.');
    return lines.join('\n') + '\n';
  }
  const header = ['function', 'inputs', 'reverse', 'forward', 'jacobian', 'dot', 'result'];
  const rows = results.map((r) => [
    `${rel(ctx.base, r.file)}:${r.line} ${r.name}`,
    r.inputs,
    sci(r.reverseError),
    sci(r.forwardError),
    sci(r.jacobianError),
    sci(r.dotResidual),
    r.status,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  const n = all.length;
  lines.push(`adgen check: ${n} function${n === 1 ? '' : 's'}, ${ctx.points} random point${ctx.points === 1 ? '' : 's'} each (seed ${ctx.seed})`);
  lines.push('');
  lines.push(line(header));
  results.forEach((r, i) => {
    lines.push(line(rows[i] ?? []));
    for (const m of r.messages) lines.push(`    ${m}`);
  });
  const count = (s: CheckResult['status']): number => all.filter((r) => r.status === s).length;
  const skipped = count('SKIP');
  lines.push('');
  lines.push(
    `${count('PASS')} passed, ${count('FAIL')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}. ` +
      `Worst relative error vs central finite differences; PASS when ≤ ${TOLERANCES.rtol.toExponential(0)} ` +
      `(${TOLERANCES.rtolFloat32.toExponential(0)} for Float32Array outputs, locals or written parameters) beyond the finite differences' ` +
      `own error, and dot-product residual ≤ ${TOLERANCES.dot.toExponential(0)}.`,
  );
  return lines.join('\n') + '\n';
}

/** JSON: numbers as numbers, NaN/Infinity as strings, unmeasured as null. */
export function formatJson(results: readonly CheckResult[], ctx: ReportContext, ok: boolean): string {
  const report = {
    ok,
    seed: ctx.seed,
    points: ctx.points,
    tolerances: TOLERANCES,
    diagnostics: ctx.diagnostics,
    results: results.map((r) => ({ ...r, file: rel(ctx.base, r.file) })),
  };
  return (
    JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2) +
    '\n'
  );
}
