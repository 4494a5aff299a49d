/**
 * The optimisation passes over generated code (packages/adgen/src/optimize): what each rewrites,
 * what it must leave alone (arrays another name may reach, indices the loop changes), and that
 * generated code stays exact when the caller passes the same array twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as b from '../packages/adgen/src/ir/builders.ts';
import type { Stmt } from '../packages/adgen/src/ir/nodes.ts';
import type { TargetFunction } from '../packages/adgen/src/ir/target.ts';
import { hoistLoopLengths } from '../packages/adgen/src/optimize/loop-lengths.ts';
import { reuseLoads } from '../packages/adgen/src/optimize/loads.ts';
import { promoteLoopSums } from '../packages/adgen/src/optimize/scalar-promotion.ts';
import { useKnownZeros } from '../packages/adgen/src/optimize/known-zero.ts';
import { functionDeclaration, printNode } from '../packages/adgen/src/emit/printer.ts';
import { compile } from './support/harness.ts';

const fn = (body: Stmt[], params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }]): TargetFunction => ({ name: 'f', exported: false, doc: '', params, returnType: null, body });
const print = (f: TargetFunction) => printNode(functionDeclaration(f)).replace(/\s+/g, ' ');
const countingLoop = (i: string, bound: ReturnType<typeof b.len> | ReturnType<typeof b.v>, body: Stmt[]): Stmt => ({ k: 'loop', init: [b.decl(i, 'number', b.ZERO)], test: b.op('<', b.v(i), bound), update: [b.assign(i, b.ONE, '+=')], body, doWhile: false });
const alloc = (name: string) => b.decl(name, 'Float64Array', { k: 'alloc', ctor: 'Float64Array', len: b.num(4) }, false);

test('a typed array length in a loop test is read once before the loop', () => {
  const out = print(hoistLoopLengths(fn([countingLoop('i', b.len('x'), [b.store('x', b.v('i'), b.ZERO)])])));
  assert.match(out, 'const _xLength = x.length; for (let i = 0; i < _xLength; i++)');
});

test('a number[] length stays in the test when the loop stores into the array', () => {
  const out = print(hoistLoopLengths(fn([countingLoop('i', b.len('x'), [b.store('x', b.v('i'), b.ZERO)])], [{ name: 'x', type: 'number[]' }])));
  assert.match(out, 'i < x.length');
  assert.not.match(out, '_xLength');
});

test('a sum into an owned array at a loop-invariant index is kept in a local', () => {
  const body = [alloc('acc'), countingLoop('j', b.v('n'), b.accumulateAt('acc', b.v('k'), b.idx('x', b.v('j')))), { k: 'return', e: { k: 'obj', props: [['acc', b.v('acc')]] } } as Stmt];
  const out = print(promoteLoopSums(fn(body, [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }])));
  assert.match(out, 'let _accAt = acc[k];');
  assert.match(out, '_accAt += x[j];');
  assert.match(out, 'acc[k] = _accAt;');
});

test('no promotion for a parameter array, an escaping array, an array made in the loop, or an index the loop changes', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }];
  const param = print(promoteLoopSums(fn([countingLoop('j', b.v('n'), b.accumulateAt('x', b.v('k'), b.ONE))], params)));
  assert.not.match(param, '_xAt');
  const escaping = print(promoteLoopSums(fn([alloc('acc'), b.exprStmt(b.xcall('_pushArray', b.v('acc'))), countingLoop('j', b.v('n'), b.accumulateAt('acc', b.v('k'), b.ONE))], params)));
  assert.not.match(escaping, '_accAt');
  const fresh = print(promoteLoopSums(fn([countingLoop('j', b.v('n'), [alloc('acc'), ...b.accumulateAt('acc', b.v('k'), b.ONE)])], params)));
  assert.not.match(fresh, '_accAt');
  const moving = print(promoteLoopSums(fn([alloc('acc'), countingLoop('j', b.v('n'), [...b.accumulateAt('acc', b.v('k'), b.ONE), b.assign('k', b.ONE, '+=')])], params)));
  assert.not.match(moving, '_accAt');
});

test('an invariant load leaves the loop only when no store in it may reach the same array', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }, { name: 'n', type: 'number' }, { name: 'k', type: 'number' }];
  const ownedStore = print(reuseLoads(fn([alloc('g'), countingLoop('j', b.v('n'), b.accumulateAt('g', b.v('j'), b.idx('x', b.v('k'))))], params)));
  assert.match(ownedStore, 'const _xAt = x[k]; for');
  // y may be the same array as x
  const paramStore = print(reuseLoads(fn([countingLoop('j', b.v('n'), b.accumulateAt('y', b.v('j'), b.idx('x', b.v('k'))))], params)));
  assert.not.match(paramStore, '_xAt');
});

test('a load repeated across statements is shared until a store that may alias it', () => {
  const params: TargetFunction['params'] = [{ name: 'x', type: 'Float64Array' }, { name: 'y', type: 'Float64Array' }];
  const shared = print(reuseLoads(fn([alloc('g'), ...b.accumulateAt('g', b.ZERO, b.idx('x', b.ONE)), ...b.accumulateAt('g', b.ONE, b.idx('x', b.ONE))], params)));
  assert.match(shared, 'const _xAt = x[1];');
  const killed = print(reuseLoads(fn([...b.accumulateAt('y', b.ZERO, b.idx('x', b.ONE)), ...b.accumulateAt('y', b.ONE, b.idx('x', b.ONE))], params)));
  assert.not.match(killed, '_xAt');
});

test('a sum into a scalar that every iteration resets to 0 becomes an assignment', () => {
  const params: TargetFunction['params'] = [{ name: 'n', type: 'number' }, { name: 'w', type: 'number' }];
  const reset = print(useKnownZeros(fn([b.decl('g', 'number', b.ZERO), b.decl('t', 'number', b.ZERO), countingLoop('i', b.v('n'), [b.assign('g', b.v('w'), '+='), b.assign('t', b.v('g'), '-='), b.assign('g', b.ZERO)])], params)));
  assert.match(reset, 'g = w;');
  // t is not reset in the loop: only its first sum could be an assignment, and the loop repeats it
  assert.match(reset, 't -= g;');
  // the counter itself (i += 1 after i = 0) is never zero at the update
  assert.match(reset, 'i++');
  const oneBranch = print(useKnownZeros(fn([b.decl('g', 'number', b.ZERO), countingLoop('i', b.v('n'), [b.assign('g', b.v('w'), '+='), b.ifs(b.op('>', b.v('w'), b.ZERO), [b.assign('g', b.ZERO)])])], params)));
  assert.match(oneBranch, 'g += w;');
});

test('a zero declared in a nested scope says nothing about the same name outside it', () => {
  const out = print(useKnownZeros(fn([b.decl('g', 'number', b.num(5)), { k: 'block', body: [b.decl('g', 'number', b.ZERO)] }, b.assign('g', b.ONE, '+=')], [])));
  assert.match(out, '} g++;');
  const inLoop = print(useKnownZeros(fn([b.decl('g', 'number', b.num(5)), countingLoop('i', b.num(3), [b.decl('g', 'number', b.ZERO), b.assign('g', b.ONE, '+=')]), b.assign('g', b.ONE, '+=')], [])));
  assert.match(inLoop, 'let g = 0; g = 1;');
  assert.match(inLoop, '} g++;');
});

test('generated code gives the primal value when the caller passes one array twice', async () => {
  const source = `
/**
 * @differentiable
 * @wrt x
 * @out out
 */
export function smooth(x: Float64Array, out: Float64Array, w: number): void {
  for (let i = 1; i < x.length; i++) {
    for (let j = 0; j < 3; j++) out[i] += w * x[i - 1]! * x[i]!;
    out[i - 1] = Math.sin(out[i]! + x[i - 1]!);
  }
}
`;
  const compiled = await compile({ 'alias.ts': source });
  const gen = compiled.modules['alias.ts']!;
  const src = compiled.sources['alias.ts']!;
  const start = [0.3, -0.2, 0.5, 0.1, 0.7];
  const expected = Float64Array.from(start);
  src.smooth!(expected, expected, 0.8);
  const viaJvp = Float64Array.from(start);
  const jvp = gen.smoothJvp!(viaJvp, viaJvp, 0.8, { x: new Float64Array(5) });
  assert.equal(Array.from(jvp.value as Float64Array), Array.from(expected));
  const viaVjp = Float64Array.from(start);
  const vjp = gen.smoothVjp!(viaVjp, viaVjp, 0.8, new Float64Array(5));
  assert.equal(Array.from(vjp.value as Float64Array), Array.from(expected));
});

test.run();
