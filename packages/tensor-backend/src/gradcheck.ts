/**
 * Finite-difference gradient checking, used by the tests of every package.
 *
 * @module gradcheck
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors.js';

/** Options of {@link gradCheck}. */
export interface GradCheckOptions {
  /** Step of the central difference (default 1e-2: float32 needs a large step). */
  eps?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Check at most this many coordinates, spread evenly (default all, up to 200). */
  maxCoords?: number;
}

/** Result of {@link gradCheck}. */
export interface GradCheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** Indices (flat) that were checked. */
  checked: number[];
  analytic: number[];
  numeric: number[];
}

/**
 * Compares `tf.grad(f)(x)` with central differences (f(x + eps e_i) - f(x - eps e_i)) / 2 eps on
 * (a subset of) coordinates. `f` must return a scalar. Central differences are accurate to
 * O(eps^2 f'''), and float32 rounding adds about 1e-7 |f| / eps, hence the default eps and
 * tolerances. A coordinate passes when |a - n| <= atol + rtol * max(|a|, |n|).
 */
export function gradCheck(
  f: (x: tf.Tensor) => tf.Scalar | tf.Tensor,
  x: tf.Tensor,
  options: GradCheckOptions = {},
): GradCheckResult {
  const eps = options.eps ?? 1e-2;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 1e-3;
  if (!(eps > 0)) throw new InvalidArgumentError('options.eps', `must be > 0, got ${eps}`);
  const size = x.size;
  const maxCoords = Math.min(options.maxCoords ?? 200, size);
  const checked: number[] = [];
  for (let k = 0; k < maxCoords; k++) checked.push(Math.floor((k * size) / maxCoords));

  const scalar = (t: tf.Tensor) => (t.rank === 0 ? t : tf.sum(t));
  const analyticAll = tf.tidy(() => tf.grad((v: tf.Tensor) => scalar(f(v)))(x)).dataSync();
  const base = x.dataSync().slice();
  const evalAt = (values: Float32Array): number =>
    tf.tidy(() => scalar(f(tf.tensor(values, x.shape, 'float32'))).dataSync()[0]!);

  const analytic: number[] = [];
  const numeric: number[] = [];
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  const probe = Float32Array.from(base);
  for (const i of checked) {
    const xi = base[i]!;
    probe[i] = xi + eps;
    const up = evalAt(probe);
    probe[i] = xi - eps;
    const down = evalAt(probe);
    probe[i] = xi;
    const n = (up - down) / (2 * eps);
    const a = analyticAll[i]!;
    analytic.push(a);
    numeric.push(n);
    const abs = Math.abs(a - n);
    const rel = abs / Math.max(Math.abs(a), Math.abs(n), 1e-12);
    maxAbs = Math.max(maxAbs, abs);
    maxRel = Math.max(maxRel, Math.min(rel, abs));
    if (!(abs <= atol + rtol * Math.max(Math.abs(a), Math.abs(n)))) ok = false;
  }
  return { ok, maxAbsError: maxAbs, maxRelError: maxRel, checked, analytic, numeric };
}
