/**
 * adgen runtime. Generated derivative code does not depend on this package; user models import
 * `stopGradient` from it, and examples use its optimizers and random numbers.
 */

/**
 * Identity at run time; a constant to the differentiator (PyTorch `detach()`, JAX `stop_gradient`).
 */
export function stopGradient<T extends number>(x: T): T {
  return x;
}
