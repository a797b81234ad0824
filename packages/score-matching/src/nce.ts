/**
 * Noise-contrastive estimation (Gutmann & Hyvärinen 2010) and a Gaussian noise distribution
 * fitted to data.
 *
 * @module nce
 */

import {
  assertFinite,
  assertInteger,
  assertOneOf,
  assertPositive,
  assertTensor,
  InvalidArgumentError,
  logSigmoid,
  type Rng,
  ShapeError,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { checkInputs } from './losses.js';
import { callEnergy } from './score.js';
import type { EnergyFn, NoiseDistribution, SeedOption } from './types.js';

/** Options of {@link nce}. */
export interface NceOptions extends SeedOption {
  /** The noise distribution: exact samples and a normalised log-density. */
  noise: NoiseDistribution;
  /** Noise samples per data sample, ν (default 1); the batch gets round(ν·N) noise samples. */
  ratio?: number;
  /**
   * The model's log-normaliser log Z, a scalar: pass a `tf.Variable` to learn it with the
   * weights (NCE's point: the model is p_θ(x) = exp(−E(x) − log Z)), or a number to fix it.
   */
  logZ: tf.Tensor | number;
}

/**
 * Noise-contrastive estimation: logistic regression between data and noise samples with the
 * log-odds G(u) − log ν, G(u) = log p_θ(u) − log p_n(u) = −E(u) − log Z − log p_n(u):
 *
 * loss = −(1/N) [ Σ_data log σ(G(x) − log ν) + Σ_noise log σ(−G(y) + log ν) ].
 *
 * Minimised (for enough samples and a model family containing the data) at the data
 * distribution *with the correct normaliser*: `logZ` converges to the true log Z. Needs only
 * first-order gradients. Noise close to the data works best ({@link gaussianNoise}).
 */
export function nce(energy: EnergyFn, x: tf.Tensor, options: NceOptions): tf.Tensor {
  checkInputs(energy, x);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected { noise, logZ, ... }');
  }
  const { noise } = options;
  if (
    typeof noise !== 'object' ||
    noise === null ||
    typeof noise.sample !== 'function' ||
    typeof noise.logProb !== 'function'
  ) {
    throw new InvalidArgumentError('options.noise', 'expected { sample(n, rng), logProb(x) }');
  }
  const ratio = options.ratio ?? 1;
  assertPositive('options.ratio', ratio);
  const { logZ } = options;
  if (typeof logZ === 'number') {
    if (!Number.isFinite(logZ))
      throw new InvalidArgumentError('options.logZ', `expected a finite number, got ${logZ}`);
  } else {
    assertTensor('options.logZ', logZ);
    if (logZ.size !== 1) {
      throw new ShapeError(
        'options.logZ',
        `expected a scalar, got shape [${logZ.shape.join(', ')}]`,
      );
    }
  }
  const n = x.shape[0]!;
  const m = Math.max(1, Math.round(ratio * n));
  const logNu = Math.log(m / n);
  const rng = toRng(options.seed);
  return tf.tidy(() => {
    const y = noise.sample(m, rng);
    const expected = [m, ...x.shape.slice(1)];
    if (!(y instanceof tf.Tensor) || !tf.util.arraysEqual(y.shape, expected)) {
      const got = y instanceof tf.Tensor ? `[${y.shape.join(', ')}]` : typeof y;
      throw new ShapeError(
        'options.noise.sample',
        `must return [${expected.join(', ')}], got ${got}`,
      );
    }
    const lz = typeof logZ === 'number' ? tf.scalar(logZ) : tf.reshape(logZ, []);
    const logOdds = (u: tf.Tensor) => {
      const lp = noise.logProb(u);
      if (!(lp instanceof tf.Tensor) || lp.rank !== 1 || lp.shape[0] !== u.shape[0]) {
        throw new ShapeError('options.noise.logProb', `must return [${u.shape[0]}]`);
      }
      return tf.sub(tf.sub(tf.neg(callEnergy(energy, u)), lz), tf.add(lp, logNu));
    };
    const dataTerm = tf.sum(logSigmoid(logOdds(x)));
    const noiseTerm = tf.sum(logSigmoid(tf.neg(logOdds(y))));
    return tf.div(tf.neg(tf.add(dataTerm, noiseTerm)), n);
  });
}

/** Options of {@link gaussianNoise}. */
export interface GaussianNoiseOptions {
  /** `'full'` (default) fits the covariance, `'diagonal'` only the variances. */
  covariance?: 'full' | 'diagonal';
  /** Multiplies the fitted standard deviations (default 1; > 1 gives wider noise). */
  scale?: number;
  /**
   * Added to the covariance diagonal, relative to the mean variance (default 1e-4), so that
   * constant features (e.g. border pixels) keep a usable density.
   */
  jitter?: number;
}

/** A Gaussian {@link NoiseDistribution} that owns tensors: call `dispose()` when done. */
export interface GaussianNoise extends NoiseDistribution {
  /** Fitted mean, flat `[D]`. */
  readonly mean: tf.Tensor1D;
  /** Cholesky factor L of the (scaled, jittered) covariance Σ = L Lᵀ, `[D, D]`. */
  readonly scaleTril: tf.Tensor2D;
  dispose(): void;
}

/** Lower Cholesky factor of a symmetric positive-definite matrix (row-major, size d). */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j]!;
    for (let k = 0; k < j; k++) diag -= l[j * d + k]! ** 2;
    if (!(diag > 0)) {
      throw new InvalidArgumentError(
        'data',
        'covariance is not positive definite; raise options.jitter',
      );
    }
    const ljj = Math.sqrt(diag);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let v = a[i * d + j]!;
      for (let k = 0; k < j; k++) v -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = v / ljj;
    }
  }
  return l;
}

/** Inverse of a lower-triangular matrix by forward substitution. */
function invertLower(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    inv[j * d + j] = 1 / l[j * d + j]!;
    for (let i = j + 1; i < d; i++) {
      let v = 0;
      for (let k = j; k < i; k++) v -= l[i * d + k]! * inv[k * d + j]!;
      inv[i * d + j] = v / l[i * d + i]!;
    }
  }
  return inv;
}

/**
 * A Gaussian noise distribution N(mean, Σ) fitted to `data` `[N, ...]` (sample mean and
 * covariance, optionally diagonal, scaled and jittered), for {@link nce}. Samples and densities
 * have the data's per-example shape.
 */
export function gaussianNoise(data: tf.Tensor, options: GaussianNoiseOptions = {}): GaussianNoise {
  assertTensor('data', data);
  if (data.rank < 2 || data.shape[0]! < 2) {
    throw new ShapeError('data', `expected a batch [N >= 2, ...], got [${data.shape.join(', ')}]`);
  }
  const covariance = options.covariance ?? 'full';
  assertOneOf('options.covariance', covariance, ['full', 'diagonal'] as const);
  const scale = options.scale ?? 1;
  assertPositive('options.scale', scale);
  const jitter = options.jitter ?? 1e-4;
  assertPositive('options.jitter', jitter, { allowZero: true });
  assertFinite('data', data);
  const n = data.shape[0]!;
  const shape = data.shape.slice(1);
  const d = shape.reduce((a, b) => a * b, 1);
  const [meanArr, covArr] = tf.tidy(() => {
    const flat = tf.reshape(data, [n, d]);
    const mu = tf.mean(flat, 0);
    const c = tf.sub(flat, mu);
    const cov =
      covariance === 'full'
        ? tf.div(tf.matMul(c, c, true, false), n - 1)
        : tf.div(tf.sum(tf.square(c), 0), n - 1);
    return [mu.dataSync(), cov.dataSync()];
  }) as unknown as [Float32Array, Float32Array];
  const full = new Float64Array(d * d);
  let trace = 0;
  for (let i = 0; i < d; i++) {
    const v = covariance === 'full' ? covArr[i * d + i]! : covArr[i]!;
    trace += v;
  }
  const add = (jitter * trace) / d || 1e-12;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (covariance === 'full') full[i * d + j] = covArr[i * d + j]!;
      else if (i === j) full[i * d + j] = covArr[i]!;
    }
    full[i * d + i] = full[i * d + i]! + add;
  }
  const l = cholesky(full, d);
  for (let i = 0; i < l.length; i++) l[i] = l[i]! * scale;
  const linv = invertLower(l, d);
  let logDet = 0; // log det L
  for (let i = 0; i < d; i++) logDet += Math.log(l[i * d + i]!);
  const constant = -0.5 * d * Math.log(2 * Math.PI) - logDet;

  const mean = tf.tensor1d(meanArr);
  const scaleTril = tf.tensor2d(Float32Array.from(l), [d, d]);
  const linvTArr = new Float32Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) linvTArr[j * d + i] = linv[i * d + j]!;
  const linvT = tf.tensor2d(linvTArr, [d, d]);
  let disposed = false;
  const check = () => {
    if (disposed) throw new InvalidArgumentError('noise', 'this Gaussian noise has been disposed');
  };
  return {
    mean,
    scaleTril,
    sample(count: number, rng: Rng): tf.Tensor {
      check();
      assertInteger('n', count, 1);
      return tf.tidy(() => {
        const eps = rng.normal([count, d]);
        return tf.reshape(tf.add(mean, tf.matMul(eps, scaleTril, false, true)), [count, ...shape]);
      });
    },
    logProb(x: tf.Tensor): tf.Tensor1D {
      check();
      return tf.tidy(() => {
        const z = tf.matMul(tf.sub(tf.reshape(x, [x.shape[0]!, d]), mean), linvT);
        return tf.add(tf.mul(-0.5, tf.sum(tf.square(z), 1)), constant) as tf.Tensor1D;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      mean.dispose();
      scaleTril.dispose();
      linvT.dispose();
    },
  };
}
