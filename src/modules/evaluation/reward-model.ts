/**
 * The reward model q̂(x, a, pos) of the direct method and doubly robust estimators: a
 * ridge-regularised logistic regression of click on φ(x, a, pos), fitted by Newton's method on the
 * training rows (penalty λ/2·‖β‖² on every weight but the bias).
 */
export interface LogisticModel {
  readonly weights: Float64Array;
  readonly iterations: number;
  predict(x: Float64Array): number;
}

export const DEFAULT_RIDGE = 1;

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** X is n×d row-major; y holds 0/1. */
export function fitLogistic(X: Float64Array, y: Float64Array, dim: number, lambda = DEFAULT_RIDGE, maxIterations = 50): LogisticModel {
  const n = y.length;
  const beta = new Float64Array(dim);
  const grad = new Float64Array(dim);
  const hess = new Float64Array(dim * dim);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    grad.fill(0);
    hess.fill(0);
    for (let j = 1; j < dim; j++) {
      grad[j] = lambda * beta[j]!;
      hess[j * dim + j] = lambda;
    }
    hess[0] = 1e-9; // keeps the system positive definite when every label is the same
    for (let i = 0; i < n; i++) {
      const row = i * dim;
      let z = 0;
      for (let j = 0; j < dim; j++) z += X[row + j]! * beta[j]!;
      const p = sigmoid(z);
      const g = p - y[i]!;
      const h = p * (1 - p);
      for (let j = 0; j < dim; j++) {
        const xj = X[row + j]!;
        if (xj === 0) continue;
        grad[j] = grad[j]! + g * xj;
        const hx = h * xj;
        for (let k = 0; k <= j; k++) hess[j * dim + k] = hess[j * dim + k]! + hx * X[row + k]!;
      }
    }
    for (let j = 0; j < dim; j++) for (let k = j + 1; k < dim; k++) hess[j * dim + k] = hess[k * dim + j]!;
    const step = solveSpd(hess, grad, dim);
    let largest = 0;
    for (let j = 0; j < dim; j++) {
      beta[j] = beta[j]! - step[j]!;
      largest = Math.max(largest, Math.abs(step[j]!));
    }
    if (largest < 1e-8) {
      iterations++;
      break;
    }
  }
  return {
    weights: beta,
    iterations,
    predict(x) {
      let z = 0;
      for (let j = 0; j < dim; j++) z += x[j]! * beta[j]!;
      return sigmoid(z);
    },
  };
}

/** Solves A x = b for a symmetric positive definite A (Cholesky); A is not modified. */
export function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (s <= 0) throw new Error('matrix is not positive definite');
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}
