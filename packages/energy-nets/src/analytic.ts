/**
 * Analytic energies with exact log-densities and scores, for testing samplers and training
 * methods against known answers.
 *
 * Each returns an {@link AnalyticEnergy}: `energy` (low = likely), normalised `logProb`,
 * analytic `score` = -∇E, `logZ`, and where available `sample`, `mean`, `covariance`. All ops
 * used are polynomial, `sqrt`, or tensor-backend's `exp`, so derivatives of any order are exact.
 *
 * @module analytic
 */
import {
  assertInteger,
  assertNumber,
  assertPositive,
  assertTensor,
  exp,
  InvalidArgumentError,
  type SeedOrRng,
  ShapeError,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  cholesky,
  gammaHalf,
  inverseFromCholesky,
  logDetFromCholesky,
  Tabulated1D,
} from './linalg.js';
import type { AnalyticEnergy } from './types.js';

const LOG_2PI = Math.log(2 * Math.PI);

function checkX(x: tf.Tensor, dim: number): void {
  assertTensor('x', x);
  if (x.rank !== 2 || x.shape[1] !== dim) {
    throw new ShapeError('x', `expected shape [N, ${dim}], got [${x.shape.join(', ')}]`);
  }
}

function asFloat(x: tf.Tensor): tf.Tensor2D {
  return (x.dtype === 'float32' ? x : tf.cast(x, 'float32')) as tf.Tensor2D;
}

function vector(name: string, v: unknown, dim?: number): number[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new InvalidArgumentError(name, 'expected a non-empty array of numbers');
  }
  if (dim !== undefined && v.length !== dim) {
    throw new InvalidArgumentError(name, `expected length ${dim}, got ${v.length}`);
  }
  v.forEach((e, i) => {
    assertNumber(`${name}[${i}]`, e);
  });
  return [...v] as number[];
}

/** Accepts a full matrix, a diagonal (array) or an isotropic variance (number). */
function covarianceMatrix(name: string, c: unknown, dim: number): number[][] {
  if (c === undefined) c = 1;
  if (typeof c === 'number') {
    assertPositive(name, c);
    return Array.from({ length: dim }, (_, i) =>
      Array.from({ length: dim }, (_, j) => (i === j ? (c as number) : 0)),
    );
  }
  if (!Array.isArray(c) || c.length !== dim) {
    throw new InvalidArgumentError(
      name,
      `expected a ${dim}x${dim} matrix, a length-${dim} diagonal or a positive number`,
    );
  }
  if (c.every((e) => typeof e === 'number')) {
    (c as number[]).forEach((e, i) => {
      assertPositive(`${name}[${i}]`, e);
    });
    return Array.from({ length: dim }, (_, i) =>
      Array.from({ length: dim }, (_, j) => (i === j ? (c as number[])[i]! : 0)),
    );
  }
  const m = (c as unknown[]).map((row, i) => vector(`${name}[${i}]`, row, dim));
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      const a = m[i]![j]!;
      const b = m[j]![i]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) {
        throw new InvalidArgumentError(name, `must be symmetric ([${i}][${j}] != [${j}][${i}])`);
      }
    }
  }
  return m;
}

interface GaussianParts {
  mean: number[];
  cov: number[][];
  chol: number[][];
  precision: number[][];
  logDet: number;
}

function gaussianParts(name: string, mean: number[], cov: unknown): GaussianParts {
  const m = covarianceMatrix(name, cov, mean.length);
  const chol = cholesky(m);
  if (!chol) throw new InvalidArgumentError(name, 'must be positive definite');
  return {
    mean,
    cov: m,
    chol,
    precision: inverseFromCholesky(chol),
    logDet: logDetFromCholesky(chol),
  };
}

/** Quadratic forms (x - μ)ᵀ P (x - μ) per row and the product (x - μ) P. */
function quadratic(x: tf.Tensor2D, mean: tf.Tensor, precision: tf.Tensor2D) {
  const diff = tf.sub(x, mean) as tf.Tensor2D;
  const dp = tf.matMul(diff, precision);
  return { q: tf.sum(tf.mul(dp, diff), 1) as tf.Tensor1D, dp };
}

/** Draws n rows of N(mean, L Lᵀ) in float64 JS, as a [n, d] tensor. */
function gaussianRows(
  n: number,
  parts: GaussianParts,
  rng: ReturnType<typeof toRng>,
  out: Float32Array,
  row: number,
): void {
  const d = parts.mean.length;
  const z = new Array<number>(d);
  for (let i = 0; i < d; i++) z[i] = rng.gaussian();
  for (let i = 0; i < d; i++) {
    let s = parts.mean[i]!;
    for (let k = 0; k <= i; k++) s += parts.chol[i]![k]! * z[k]!;
    out[row * d + i] = s;
  }
  void n;
}

function checkN(n: number): void {
  assertInteger('n', n, 1);
}

/**
 * log Σ_k exp(a[:, k]) per row, kept as [N, 1]: stable (max subtracted in the forward pass) and
 * exact to any derivative order. A plain `m + log Σ exp(a - m)` puts `tf.max` on the tape, whose
 * gradient uses `Equal`, which has no gradient, so second derivatives fail; here the gradient is
 * written as dy · exp(a - lse(a)) with this op and tensor-backend's `exp`.
 */
const lseRows: (a: tf.Tensor) => tf.Tensor = tf.customGrad(((
  a: tf.Tensor,
  save: tf.GradSaveFunc,
) => {
  save([a]);
  const value = tf.tidy(() => {
    const m = tf.max(a, 1, true);
    return tf.add(m, tf.log(tf.sum(tf.exp(tf.sub(a, m)), 1, true)));
  });
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.mul(dy, exp(tf.sub(saved[0]!, lseRows(saved[0]!)))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor) => tf.Tensor;

/** Options of {@link gaussianEnergy}. */
export interface GaussianEnergyOptions {
  /** Mean vector (its length is the dimension). */
  mean: number[];
  /**
   * Covariance: a full symmetric positive definite matrix, a diagonal (array of variances) or
   * one variance for all coordinates (default 1).
   */
  covariance?: number[][] | number[] | number;
}

/**
 * A multivariate Gaussian N(μ, Σ): E(x) = ½ (x-μ)ᵀ Σ⁻¹ (x-μ), logZ = ½ log det(2πΣ) (closed
 * form), score = -Σ⁻¹ (x-μ), exact sampling.
 */
export function gaussianEnergy(options: GaussianEnergyOptions): AnalyticEnergy {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected { mean, covariance? }');
  }
  const mean = vector('options.mean', options.mean);
  const dim = mean.length;
  const parts = gaussianParts('options.covariance', mean, options.covariance);
  const logZ = 0.5 * parts.logDet + 0.5 * dim * LOG_2PI;
  const consts = () => ({
    mu: tf.tensor1d(mean),
    p: tf.tensor2d(parts.precision),
  });
  const energy = (x: tf.Tensor): tf.Tensor1D => {
    checkX(x, dim);
    return tf.tidy(() => {
      const { mu, p } = consts();
      return tf.mul(quadratic(asFloat(x), mu, p).q, 0.5) as tf.Tensor1D;
    });
  };
  return {
    dim,
    energy,
    logProb: (x) => tf.tidy(() => tf.sub(tf.neg(energy(x)), logZ) as tf.Tensor1D),
    score: (x) => {
      checkX(x, dim);
      return tf.tidy(() => {
        const { mu, p } = consts();
        return tf.neg(quadratic(asFloat(x), mu, p).dp) as tf.Tensor2D;
      });
    },
    logZ,
    normalization: 'closed-form',
    sample(n: number, seed?: SeedOrRng) {
      checkN(n);
      const rng = toRng(seed);
      const out = new Float32Array(n * dim);
      for (let r = 0; r < n; r++) gaussianRows(n, parts, rng, out, r);
      return tf.tensor2d(out, [n, dim]);
    },
    mean: [...mean],
    covariance: parts.cov.map((r) => [...r]),
  };
}

/** Options of {@link gaussianMixtureEnergy}. */
export interface GaussianMixtureEnergyOptions {
  /** Component means, `[K][d]`. */
  means: number[][];
  /** Isotropic standard deviation: one for all components, or one per component (default 1). */
  stds?: number | number[];
  /** Full covariances per component, `[K][d][d]` (instead of `stds`). */
  covariances?: (number[][] | number[] | number)[];
  /** Mixture weights (positive; normalised to sum 1; default uniform). */
  weights?: number[];
}

/**
 * A Gaussian mixture Σ_k w_k N(μ_k, Σ_k). The energy is -log p(x) itself (so logZ = 0, closed
 * form), computed with a stable log-sum-exp; score = Σ_k r_k(x) (-Σ_k⁻¹ (x - μ_k)) with the
 * responsibilities r_k; exact sampling.
 */
export function gaussianMixtureEnergy(options: GaussianMixtureEnergyOptions): AnalyticEnergy {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected { means, stds?, covariances?, weights? }');
  }
  if (!Array.isArray(options.means) || options.means.length === 0) {
    throw new InvalidArgumentError('options.means', 'expected a non-empty array of mean vectors');
  }
  const first = vector('options.means[0]', options.means[0]);
  const dim = first.length;
  const means = options.means.map((m, k) => vector(`options.means[${k}]`, m, dim));
  const K = means.length;
  if (options.stds !== undefined && options.covariances !== undefined) {
    throw new InvalidArgumentError('options.stds', 'give either stds or covariances, not both');
  }
  let covs: unknown[];
  if (options.covariances !== undefined) {
    if (!Array.isArray(options.covariances) || options.covariances.length !== K) {
      throw new InvalidArgumentError('options.covariances', `expected ${K} covariances`);
    }
    covs = options.covariances;
  } else {
    const stds = options.stds ?? 1;
    const list = typeof stds === 'number' ? new Array<number>(K).fill(stds) : stds;
    if (!Array.isArray(list) || list.length !== K) {
      throw new InvalidArgumentError('options.stds', `expected a number or ${K} numbers`);
    }
    list.forEach((s, k) => {
      assertPositive(`options.stds[${k}]`, s);
    });
    covs = list.map((s) => s * s);
  }
  const parts = means.map((m, k) => gaussianParts(`options.covariances[${k}]`, m, covs[k]));
  const rawW = options.weights ?? new Array<number>(K).fill(1);
  const w = vector('options.weights', rawW, K);
  w.forEach((v, k) => {
    assertPositive(`options.weights[${k}]`, v);
  });
  const wSum = w.reduce((a, b) => a + b, 0);
  const weights = w.map((v) => v / wSum);
  // log w_k - ½ log det(2π Σ_k): the per-component constant.
  const logConst = parts.map(
    (p, k) => Math.log(weights[k]!) - 0.5 * p.logDet - 0.5 * dim * LOG_2PI,
  );

  /** Per-component log terms a [N, K] and (x - μ_k) P_k as [K, N, d]. */
  const terms = (x: tf.Tensor2D) => {
    const mu = tf.tensor3d(
      means.map((m) => [m]),
      [K, 1, dim],
    );
    const p = tf.tensor3d(parts.map((q) => q.precision));
    const diff = tf.sub(tf.expandDims(x, 0), mu) as tf.Tensor3D; // [K, N, d]
    const dp = tf.matMul(diff, p); // [K, N, d]
    const q = tf.sum(tf.mul(dp, diff), 2); // [K, N]
    const a = tf.add(tf.mul(tf.transpose(q), -0.5), tf.tensor1d(logConst)); // [N, K]
    return { a, dp };
  };
  const logSumExp = (a: tf.Tensor): tf.Tensor1D => tf.reshape(lseRows(a), [-1]) as tf.Tensor1D;
  const logProb = (x: tf.Tensor): tf.Tensor1D => {
    checkX(x, dim);
    return tf.tidy(() => logSumExp(terms(asFloat(x)).a));
  };

  const mean = new Array<number>(dim).fill(0);
  means.forEach((m, k) => {
    m.forEach((v, i) => {
      mean[i]! += weights[k]! * v;
    });
  });
  const covariance = Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => {
      let s = 0;
      parts.forEach((p, k) => {
        s += weights[k]! * (p.cov[i]![j]! + means[k]![i]! * means[k]![j]!);
      });
      return s - mean[i]! * mean[j]!;
    }),
  );

  return {
    dim,
    energy: (x) => tf.tidy(() => tf.neg(logProb(x)) as tf.Tensor1D),
    logProb,
    score: (x) => {
      checkX(x, dim);
      return tf.tidy(() => {
        const { a, dp } = terms(asFloat(x));
        const r = exp(tf.sub(a, lseRows(a))); // [N, K]
        const weighted = tf.mul(tf.expandDims(tf.transpose(r), 2), dp); // [K, N, d]
        return tf.neg(tf.sum(weighted, 0)) as tf.Tensor2D;
      });
    },
    logZ: 0,
    normalization: 'closed-form',
    sample(n: number, seed?: SeedOrRng) {
      checkN(n);
      const rng = toRng(seed);
      const out = new Float32Array(n * dim);
      for (let r = 0; r < n; r++) {
        let u = rng.random();
        let k = 0;
        while (k < K - 1 && u >= weights[k]!) {
          u -= weights[k]!;
          k++;
        }
        gaussianRows(n, parts[k]!, rng, out, r);
      }
      return tf.tensor2d(out, [n, dim]);
    },
    mean,
    covariance,
  };
}

/** Options of {@link doubleWellEnergy}. */
export interface DoubleWellEnergyOptions {
  /** Dimension d >= 1 (default 2): x0 is the double-well coordinate, the rest are N(0, 1). */
  dim?: number;
  /** Barrier height h between the wells, in energy units (default 1). */
  height?: number;
  /** Position c of the wells at x0 = ±c (default 1). */
  location?: number;
}

/**
 * A double well: E(x) = h ((x0 / c)² - 1)² + ½ Σ_{i≥1} x_i², wells at x0 = ±c separated by a
 * barrier of height h (the default 2-D case is E = (x0² - 1)² + x1²/2).
 *
 * **Normalisation is numerical**: the x0 factor's Z has no elementary closed form, so it is
 * integrated once at construction by Simpson's rule in float64 on 20,001 points over the range
 * where exp(-E) > e^-60 (`normalization: 'quadrature'`); the other coordinates contribute
 * (2π)^((d-1)/2) exactly. `mean` (zero) and `covariance` (diagonal, Var(x0) by quadrature) are
 * given; `sample` draws x0 by inverse CDF on that grid (linear interpolation, grid step
 * ≈ 1e-4 c) and the rest exactly.
 */
export function doubleWellEnergy(options: DoubleWellEnergyOptions = {}): AnalyticEnergy {
  const dim = options.dim ?? 2;
  assertInteger('options.dim', dim, 1);
  const h = options.height ?? 1;
  assertPositive('options.height', h);
  const c = options.location ?? 1;
  assertPositive('options.location', c);
  const e0 = (x: number) => h * ((x / c) ** 2 - 1) ** 2;
  const span = c * Math.sqrt(1 + Math.sqrt(60 / h));
  const tab = new Tabulated1D((x) => Math.exp(-e0(x)), -span, span);
  const logZ = Math.log(tab.integral) + 0.5 * (dim - 1) * LOG_2PI;
  const var0 = tab.expectation((x) => x * x);

  const energy = (x: tf.Tensor): tf.Tensor1D => {
    checkX(x, dim);
    return tf.tidy(() => {
      const xf = asFloat(x);
      const x0 = tf.slice(xf, [0, 0], [-1, 1]);
      const t = tf.sub(tf.square(tf.div(x0, c)), 1);
      let e = tf.reshape(tf.mul(tf.square(t), h), [-1]);
      if (dim > 1) e = tf.add(e, tf.mul(tf.sum(tf.square(tf.slice(xf, [0, 1], [-1, -1])), 1), 0.5));
      return e as tf.Tensor1D;
    });
  };
  return {
    dim,
    energy,
    logProb: (x) => tf.tidy(() => tf.sub(tf.neg(energy(x)), logZ) as tf.Tensor1D),
    score: (x) => {
      checkX(x, dim);
      return tf.tidy(() => {
        const xf = asFloat(x);
        const x0 = tf.slice(xf, [0, 0], [-1, 1]);
        // dE/dx0 = 4h x0 ((x0/c)² - 1) / c²
        const g0 = tf.mul(tf.mul(x0, tf.sub(tf.square(tf.div(x0, c)), 1)), (4 * h) / (c * c));
        const g = dim > 1 ? tf.concat([g0, tf.slice(xf, [0, 1], [-1, -1])], 1) : g0;
        return tf.neg(g) as tf.Tensor2D;
      });
    },
    logZ,
    normalization: 'quadrature',
    sample(n: number, seed?: SeedOrRng) {
      checkN(n);
      const rng = toRng(seed);
      const out = new Float32Array(n * dim);
      for (let r = 0; r < n; r++) {
        out[r * dim] = tab.quantile(rng.random());
        for (let i = 1; i < dim; i++) out[r * dim + i] = rng.gaussian();
      }
      return tf.tensor2d(out, [n, dim]);
    },
    mean: new Array<number>(dim).fill(0),
    covariance: Array.from({ length: dim }, (_, i) =>
      Array.from({ length: dim }, (_, j) => (i !== j ? 0 : i === 0 ? var0 : 1)),
    ),
  };
}

/** Options of {@link ringEnergy}. */
export interface RingEnergyOptions {
  /** Ring radius r (default 1). */
  radius?: number;
  /** Radial standard deviation w (default 0.1). */
  width?: number;
  /** Dimension d >= 1 (default 2; d = 3 is a spherical shell). */
  dim?: number;
}

/**
 * A ring (spherical shell): E(x) = (|x| - r)² / (2 w²).
 *
 * **Normalisation is numerical**: Z = S_{d-1} ∫₀^∞ ρ^{d-1} exp(-(ρ - r)²/2w²) dρ with S_{d-1} the
 * unit-sphere area (exact); the radial integral is Simpson's rule in float64 on 20,001 points over
 * [max(0, r - 12w), r + 12w] (`normalization: 'quadrature'`). `sample` draws the radius by inverse
 * CDF on that grid and the direction exactly; `mean` is zero and `covariance` is E[ρ²]/d · I.
 * |x| is computed as sqrt(|x|² + 1e-12) so the gradient stays finite at the origin.
 */
export function ringEnergy(options: RingEnergyOptions = {}): AnalyticEnergy {
  const r = options.radius ?? 1;
  assertPositive('options.radius', r);
  const w = options.width ?? 0.1;
  assertPositive('options.width', w);
  const dim = options.dim ?? 2;
  assertInteger('options.dim', dim, 1);
  const radial = new Tabulated1D(
    (rho) => rho ** (dim - 1) * Math.exp(-((rho - r) ** 2) / (2 * w * w)),
    Math.max(0, r - 12 * w),
    r + 12 * w,
  );
  const sphere = (2 * Math.PI ** (dim / 2)) / gammaHalf(dim);
  const logZ = Math.log(sphere * radial.integral);
  const rho2 = radial.expectation((rho) => rho * rho);
  const norm = (x: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(x), 1), 1e-12));

  const energy = (x: tf.Tensor): tf.Tensor1D => {
    checkX(x, dim);
    return tf.tidy(() => tf.div(tf.square(tf.sub(norm(asFloat(x)), r)), 2 * w * w) as tf.Tensor1D);
  };
  return {
    dim,
    energy,
    logProb: (x) => tf.tidy(() => tf.sub(tf.neg(energy(x)), logZ) as tf.Tensor1D),
    score: (x) => {
      checkX(x, dim);
      return tf.tidy(() => {
        const xf = asFloat(x);
        const rho = tf.reshape(norm(xf), [-1, 1]);
        // -dE/dx = -(ρ - r)/w² · x/ρ
        return tf.neg(tf.mul(tf.div(tf.sub(rho, r), w * w * 1), tf.div(xf, rho))) as tf.Tensor2D;
      });
    },
    logZ,
    normalization: 'quadrature',
    sample(n: number, seed?: SeedOrRng) {
      checkN(n);
      const rng = toRng(seed);
      const out = new Float32Array(n * dim);
      const z = new Array<number>(dim);
      for (let s = 0; s < n; s++) {
        const rho = radial.quantile(rng.random());
        let len = 0;
        do {
          len = 0;
          for (let i = 0; i < dim; i++) {
            z[i] = rng.gaussian();
            len += z[i]! * z[i]!;
          }
        } while (len === 0);
        len = Math.sqrt(len);
        for (let i = 0; i < dim; i++) out[s * dim + i] = (rho * z[i]!) / len;
      }
      return tf.tensor2d(out, [n, dim]);
    },
    mean: new Array<number>(dim).fill(0),
    covariance: Array.from({ length: dim }, (_, i) =>
      Array.from({ length: dim }, (_, j) => (i === j ? rho2 / dim : 0)),
    ),
  };
}
