/** Maps TypeScript types (from the checker) to the value kinds of the differentiable language. */
import type { Type } from 'ts-morph';
import type { VarType } from '../../ir/nodes.ts';

export type Classified = VarType | 'any' | 'void' | 'tuple' | 'other';

export function classifyType(t: Type): Classified {
  if (t.isAny()) return 'any';
  if (t.isNumber() || t.isNumberLiteral()) return 'number';
  if (t.isBoolean() || t.isBooleanLiteral()) return 'boolean';
  if (t.isVoid() || t.isUndefined()) return 'void';
  if (t.isUnion()) {
    const parts = t.getUnionTypes().map(classifyType);
    if (parts.every((p) => p === 'number')) return 'number';
    if (parts.every((p) => p === 'boolean')) return 'boolean';
    return 'other';
  }
  if (t.isTuple()) {
    // a fixed length only: `[number, ...number[]]` and `[number, number?]` have none
    const target = (t.compilerType as { target?: { hasRestElement?: boolean; minLength?: number; fixedLength?: number } }).target;
    if (target && (target.hasRestElement || target.minLength !== target.fixedLength)) return 'other';
    return t.getTupleElements().every((e) => classifyType(e) === 'number') ? 'tuple' : 'other';
  }
  if (t.isArray() || t.isReadonlyArray?.()) {
    const el = t.getArrayElementType() ?? t.getTypeArguments()[0];
    return el && classifyType(el) === 'number' ? 'number[]' : 'other';
  }
  // `Readonly<Float64Array>`: a mapped type over the array type it names
  const alias = t.getAliasSymbol()?.getName();
  const aliased = t.getAliasTypeArguments()[0];
  if (alias === 'Readonly' && aliased) return classifyType(aliased);
  const name = t.getSymbol()?.getName() ?? '';
  if (name === 'Float64Array') return 'Float64Array';
  if (name === 'Float32Array') return 'Float32Array';
  if (name === 'ReadonlyArray' || name === 'Array') {
    const el = t.getTypeArguments()[0];
    return el && classifyType(el) === 'number' ? 'number[]' : 'other';
  }
  return 'other';
}

export function describeType(t: Type): string {
  return t.getText(undefined, 1 /* NoTruncation */);
}
