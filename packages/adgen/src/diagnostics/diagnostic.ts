/** A bag that collects diagnostics; phases add to it and never throw on user errors. */
import type { Diagnostic } from '../api-types.ts';
import { DIAGNOSTICS, WARNINGS, type DiagCode } from './codes.ts';

export interface Where {
  file: string;
  line: number;
  column: number;
}

export function diag(code: DiagCode, where: Where, ...args: string[]): Diagnostic {
  const message = DIAGNOSTICS[code].replace(/\{(\d)\}/g, (_, n: string) => args[Number(n)] ?? '');
  return { code, message, file: where.file, line: where.line, column: where.column, category: WARNINGS.has(code) ? 'warning' : 'error' };
}

export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  add(code: DiagCode, where: Where, ...args: string[]): void {
    this.push(diag(code, where, ...args));
  }
  /** Keeps one of each: a file that is an input and imported by another input is read once. */
  push(d: Diagnostic): void {
    if (this.items.some((x) => x.code === d.code && x.file === d.file && x.line === d.line && x.column === d.column && x.message === d.message)) return;
    this.items.push(d);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.category === 'error');
  }
}
