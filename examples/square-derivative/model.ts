/**
 * y = x², the first example of the course: PyTorch's `x.requires_grad_(); y = x**2; y.backward()`
 * and TensorFlow's `GradientTape`.
 * @differentiable
 */
export function square(x: number): number {
  return x ** 2;
}
