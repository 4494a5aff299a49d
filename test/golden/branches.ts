/** @differentiable */
export function huber(r: number, delta: number): number {
  if (Math.abs(r) <= delta) {
    return 0.5 * r * r;
  }
  return delta * (Math.abs(r) - 0.5 * delta);
}

/** @differentiable */
export function clippedSqrt(x: number): number {
  return x > 0 ? Math.sqrt(x) : 0;
}
