/** Helpers for this folder's tests only: a direct dense inverse to check Sherman–Morrison against. */

/** Inverse of a row-major n×n matrix by Gauss–Jordan elimination with partial pivoting. */
export function invertDense(m: ArrayLike<number>, n: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[p * n + col]!)) p = r;
    if (a[p * n + col] === 0) throw new Error('singular');
    for (let j = 0; j < n; j++) {
      [a[col * n + j], a[p * n + j]] = [a[p * n + j]!, a[col * n + j]!];
      [inv[col * n + j], inv[p * n + j]] = [inv[p * n + j]!, inv[col * n + j]!];
    }
    const pivot = a[col * n + col]!;
    for (let j = 0; j < n; j++) {
      a[col * n + j] = a[col * n + j]! / pivot;
      inv[col * n + j] = inv[col * n + j]! / pivot;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r * n + col]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! - f * a[col * n + j]!;
        inv[r * n + j] = inv[r * n + j]! - f * inv[col * n + j]!;
      }
    }
  }
  return inv;
}

/** A = λI + Σ xxᵀ, row-major. */
export function designMatrix(xs: readonly Float64Array[], n: number, lambda: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = lambda;
  for (const x of xs) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = a[i * n + j]! + x[i]! * x[j]!;
  return a;
}
