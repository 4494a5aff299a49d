/**
 * Explicit Euler integration of a logistic-cubic ODE: the state is carried from step to step,
 * so the adjoint sweep reads it back from the tape.
 * @differentiable
 * @wrt y0, a, h
 */
export function euler(y0: number, a: number, h: number, steps: number): number {
  let y = y0;
  for (let k = 0; k < steps; k++) {
    const dy = a * y - y * y * y;
    y = y + h * dy;
  }
  return y;
}
