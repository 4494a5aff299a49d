/**
 * The TypeScript compiler API the whole compiler uses: ts-morph's own copy, so that adgen loads
 * TypeScript once (the printer of emit/ uses it too).
 */
export { ts } from 'ts-morph';
