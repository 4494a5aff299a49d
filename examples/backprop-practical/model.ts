/**
 * The computational graph of the backprop practical (dataflowr Module 2): the squared error of
 * one sample of the line ŷ = w·x + b, built from elementary nodes
 *   u = w·x,  ŷ = u + b,  r = ŷ − y,  ℓ = r².
 * The practical codes the backward pass of each node by hand; here adgen writes it.
 * @differentiable
 * @wrt w, b
 */
export function sampleLoss(w: number, b: number, x: number, y: number): number {
  const u = w * x;
  const yhat = u + b;
  const r = yhat - y;
  return r * r;
}
