/**
 * Checks the import rules of STYLE.md §2 with the TypeScript parser (no regex over source):
 *  - parse → analyze → {forward, reverse} → lower-gpu → emit is a one-way street;
 *  - forward and reverse never import each other;
 *  - only parse/ and analyze/lower/ import ts-morph, only emit/ imports prettier,
 *    only cli/ touches `process`;
 *  - generated code never imports the adgen compiler.
 * Prints violations and exits 1 when there are any. `checkArchitecture()` is used by the tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve('packages/adgen/src');
const ORDER = ['parse', 'analyze', 'forward', 'reverse', 'lower-gpu', 'emit'];

function phaseOf(file: string): string | null {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 && ORDER.includes(rel[0]!) ? rel[0]! : null;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

export function checkArchitecture(): string[] {
  const problems: string[] = [];
  for (const file of walk(SRC)) {
    const rel = path.relative(SRC, file);
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const from = phaseOf(file);
    const visit = (node: ts.Node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const spec = node.moduleSpecifier.text;
        const typeOnly = ts.isImportDeclaration(node) && node.importClause?.isTypeOnly === true;
        if (spec === 'ts-morph' && !rel.startsWith('parse') && !rel.startsWith(path.join('analyze', 'lower'))) problems.push(`${rel}: imports ts-morph (only parse/ and analyze/lower/ may)`);
        if (spec === 'prettier' && !rel.startsWith('emit')) problems.push(`${rel}: imports prettier (only emit/ may)`);
        if (spec.startsWith('.') && from && !typeOnly) {
          const to = phaseOf(path.resolve(path.dirname(file), spec));
          if (to && to !== from) {
            const bad = (from === 'forward' && to === 'reverse') || (from === 'reverse' && to === 'forward') || ORDER.indexOf(to) > ORDER.indexOf(from);
            if (bad) problems.push(`${rel}: ${from}/ imports ${to}/ (phases import only earlier phases)`);
          }
        }
      }
      if (ts.isIdentifier(node) && node.text === 'process' && !rel.startsWith('cli') && !rel.startsWith('check') && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
        problems.push(`${rel}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}: uses process (only cli/ may)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve('scripts/check-architecture.ts')) {
  const problems = checkArchitecture();
  for (const p of problems) console.log(p);
  console.log(problems.length === 0 ? 'architecture: ok' : `architecture: ${problems.length} problem(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
