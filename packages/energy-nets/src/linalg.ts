/**
 * Small float64 helpers for the analytic energies: Cholesky factorisation, inverses, and 1-D
 * tabulated densities (quadrature, moments, inverse-CDF sampling).
 *
 * @internal
 * @module linalg
 */

/** Cholesky factor L (lower) of a symmetric positive definite matrix; null if not SPD. */
export function cholesky(a: number[][]): number[][] | null {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i]![i] = Math.sqrt(s);
      } else {
        l[i]![j] = s / l[j]![j]!;
      }
    }
  }
  return l;
}

/** Inverse of A = L Lᵀ from its Cholesky factor (symmetric by construction). */
export function inverseFromCholesky(l: number[][]): number[][] {
  const n = l.length;
  // Solve L Y = I (forward), then Lᵀ X = Y (backward).
  const inv = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
      y[i] = s / l[i]![i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= l[k]![i]! * inv[k]![c]!;
      inv[i]![c] = s / l[i]![i]!;
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = (inv[i]![j]! + inv[j]![i]!) / 2;
      inv[i]![j] = m;
      inv[j]![i] = m;
    }
  }
  return inv;
}

/** log det A = 2 Σ log L_ii. */
export function logDetFromCholesky(l: number[][]): number {
  return 2 * l.reduce((s, row, i) => s + Math.log(row[i]!), 0);
}

/** Γ(d / 2) for a positive integer d. */
export function gammaHalf(d: number): number {
  let g = d % 2 === 0 ? 1 : Math.sqrt(Math.PI);
  for (let z = d % 2 === 0 ? 1 : 0.5; z < d / 2; z += 1) g *= z;
  return g;
}

/**
 * An unnormalised 1-D density tabulated on a fine grid: its integral by Simpson's rule (error
 * O(h⁴), far below float32 resolution for smooth densities on 20,001 points), moments, and
 * inverse-CDF sampling with linear interpolation of the trapezoid CDF.
 */
export class Tabulated1D {
  readonly xs: Float64Array;
  readonly density: Float64Array;
  readonly cdf: Float64Array;
  /** ∫ density over the grid. */
  readonly integral: number;
  private readonly h: number;

  constructor(f: (x: number) => number, lo: number, hi: number, points = 20001) {
    const n = points % 2 === 1 ? points : points + 1;
    this.h = (hi - lo) / (n - 1);
    this.xs = new Float64Array(n);
    this.density = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = lo + i * this.h;
      this.xs[i] = x;
      this.density[i] = f(x);
    }
    this.integral = this.simpson(this.density);
    this.cdf = new Float64Array(n);
    for (let i = 1; i < n; i++) {
      this.cdf[i] = this.cdf[i - 1]! + (this.h * (this.density[i - 1]! + this.density[i]!)) / 2;
    }
    const total = this.cdf[n - 1]!;
    for (let i = 0; i < n; i++) this.cdf[i] = this.cdf[i]! / total;
  }

  private simpson(values: Float64Array): number {
    const n = values.length;
    let s = values[0]! + values[n - 1]!;
    for (let i = 1; i < n - 1; i++) s += (i % 2 === 1 ? 4 : 2) * values[i]!;
    return (s * this.h) / 3;
  }

  /** E[g(X)] under the normalised density. */
  expectation(g: (x: number) => number): number {
    const v = this.density.map((d, i) => d * g(this.xs[i]!));
    return this.simpson(v) / this.integral;
  }

  /** The x with CDF(x) = u (u in [0, 1)). */
  quantile(u: number): number {
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! <= u) lo = mid;
      else hi = mid;
    }
    const c0 = this.cdf[lo]!;
    const c1 = this.cdf[hi]!;
    const t = c1 > c0 ? (u - c0) / (c1 - c0) : 0;
    return this.xs[lo]! + t * this.h;
  }
}
