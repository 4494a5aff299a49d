/**
 * o = ¼ Σᵢ zᵢ with zᵢ = 3(xᵢ + 2)², PyTorch's autograd tutorial:
 *   x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean()
 * The 2×2 tensor is stored flat, so the mean divides by x.length = 4.
 * ∂o/∂xᵢ = (3/2)(xᵢ + 2), which is 4.5 at xᵢ = 1.
 * @differentiable
 */
export function out(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const y = x[i] + 2;
    const z = y * y * 3;
    s += z;
  }
  return s / x.length;
}
