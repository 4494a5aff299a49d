/**
 * First-order optimizers over a parameter vector, in the spirit of `torch.optim`: the optimizer
 * is built around the parameters it owns and `step(grad)` updates them in place.
 *
 * Several parameter tensors can share one optimizer: allocate one flat `Float64Array`, hand out
 * `subarray` views of it to the model, and pass the gradients through `flatten` (see helpers.ts).
 */

/** An in-place optimizer of one parameter vector. */
export interface Optimizer {
  /** The parameters this optimizer updates (the same object that was passed in). */
  readonly params: Float64Array;
  /** Number of steps taken so far. */
  readonly steps: number;
  /** Update `params` in place from the gradient of the loss at the current `params`. */
  step(grad: ArrayLike<number>): void;
  /** Forget momentum / moment estimates (the parameters are left as they are). */
  reset(): void;
}

export interface SGDOptions {
  /** learning rate η */
  lr: number;
  /** momentum μ (0 = plain gradient descent) */
  momentum?: number;
  /** use Nesterov momentum */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient as λ·θ */
  weightDecay?: number;
}

function checkLength(params: Float64Array, grad: ArrayLike<number>): void {
  if (grad.length !== params.length) {
    throw new RangeError(`gradient has length ${grad.length}, parameters have ${params.length}`);
  }
}

/**
 * Stochastic gradient descent, with optional (Nesterov) momentum, as `torch.optim.SGD` defines it:
 *   g = ∇ + λθ;  v ← μv + g;  θ ← θ − η·(nesterov ? g + μv : v)
 * With μ = 0 this is θ ← θ − η·∇.
 */
export class SGD implements Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  steps = 0;
  private readonly velocity: Float64Array;

  constructor(
    readonly params: Float64Array,
    options: SGDOptions,
  ) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    if (this.nesterov && this.momentum <= 0) throw new RangeError('Nesterov momentum needs momentum > 0');
    this.velocity = new Float64Array(params.length);
  }

  step(grad: ArrayLike<number>): void {
    checkLength(this.params, grad);
    const { params, velocity, lr, momentum: mu, weightDecay: wd } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]! + wd * params[i]!;
      if (mu === 0) {
        params[i] = params[i]! - lr * g;
        continue;
      }
      const v = mu * velocity[i]! + g; // first step: v = g, as PyTorch's momentum buffer

      velocity[i] = v;
      params[i] = params[i]! - lr * (this.nesterov ? g + mu * v : v);
    }
    this.steps++;
  }

  reset(): void {
    this.velocity.fill(0);
    this.steps = 0;
  }
}

export interface AdamOptions {
  /** learning rate η (default 1e-3) */
  lr?: number;
  /** decay of the first moment estimate (default 0.9) */
  beta1?: number;
  /** decay of the second moment estimate (default 0.999) */
  beta2?: number;
  /** added to √v̂ to avoid division by zero (default 1e-8) */
  eps?: number;
  /** L2 penalty λ added to the gradient as λ·θ (default 0) */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015), as `torch.optim.Adam`:
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·m̂ / (√v̂ + ε)
 * with the bias corrections m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ).
 */
export class Adam implements Optimizer {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  steps = 0;
  private readonly m: Float64Array;
  private readonly v: Float64Array;

  constructor(
    readonly params: Float64Array,
    options: AdamOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    this.m = new Float64Array(params.length);
    this.v = new Float64Array(params.length);
  }

  step(grad: ArrayLike<number>): void {
    checkLength(this.params, grad);
    const { params, m, v, lr, beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    const t = ++this.steps;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]! + wd * params[i]!;
      const mi = b1 * m[i]! + (1 - b1) * g;
      const vi = b2 * v[i]! + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }

  reset(): void {
    this.m.fill(0);
    this.v.fill(0);
    this.steps = 0;
  }
}
