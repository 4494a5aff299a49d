/** Formats diagnostics the way tsc does: `file:line:col - error AD1003: message`. */
import * as path from 'node:path';
import type { Diagnostic } from '../api-types.ts';

export function formatDiagnostic(d: Diagnostic, cwd: string): string {
  const file = path.isAbsolute(d.file) ? path.relative(cwd, d.file) || d.file : d.file;
  const where = d.line > 0 ? `${file}:${d.line}:${d.column}` : file;
  return `${where} - ${d.category} ${d.code}: ${d.message}`;
}

export function formatDiagnostics(ds: Diagnostic[], cwd: string): string {
  const lines = ds.map((d) => formatDiagnostic(d, cwd));
  const errors = ds.filter((d) => d.category === 'error').length;
  if (errors > 0) lines.push('', `Found ${errors} error${errors === 1 ? '' : 's'}.`);
  return lines.join('\n');
}
