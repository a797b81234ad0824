/**
 * Evaluating RBMs: reconstruction error, pseudo-likelihood, exact log Z by enumeration (small
 * models), annealed importance sampling (AIS) estimates of log Z, and log-likelihood in nats.
 *
 * @module evaluate
 */

import {
  assertInteger,
  InvalidArgumentError,
  type SeedOrRng,
  softplus,
  toRng,
  UnsupportedError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { mapRows, type RBMData, toMatrix } from './data.js';
import * as fast from './random.js';
import { RBM } from './rbm.js';

function checkModel(rbm: unknown): asserts rbm is RBM {
  if (!(rbm instanceof RBM)) {
    throw new InvalidArgumentError('rbm', 'expected a BernoulliRBM or GaussianBernoulliRBM');
  }
  if (rbm.isDisposed) throw new InvalidArgumentError('rbm', 'this RBM has been disposed');
}

function checkOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an options object');
  }
}

/** Rows per chunk so that a `[rows, width]` float32 block stays near 4 MB. */
function rowsFor(width: number, budget = 1 << 20): number {
  return Math.max(1, Math.floor(budget / Math.max(1, width)));
}

/** log(sum(exp(x))) of JS numbers, stable. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i]! - max);
  return max + Math.log(s);
}

/** Options of {@link exactLogZ}. */
export interface ExactLogZOptions {
  /**
   * Which layer to enumerate: `'auto'` (default) the smaller one (always the hidden layer for a
   * Gaussian-Bernoulli RBM, whose visible units are continuous), or force `'hidden'`/`'visible'`.
   */
  over?: 'auto' | 'hidden' | 'visible';
  /** Refuse to enumerate more than this many units (2^units states). Default 20, at most 30. */
  maxUnits?: number;
}

/**
 * Exact log partition function log Z, by enumerating every state of the smaller layer and
 * summing the other out in closed form: log Z = logsumexp_v(-F(v)) = logsumexp_h(-G(h)).
 * States are enumerated in chunks (each a `[chunk, units]` block of about 4 MB), each chunk
 * reduced by log-sum-exp on the backend and the chunk results combined in float64. Cost grows
 * as 2^units; 20 units take a few seconds on a CPU backend.
 */
export function exactLogZ(rbm: RBM, options: ExactLogZOptions = {}): number {
  checkModel(rbm);
  checkOptions(options);
  const over = options.over ?? 'auto';
  if (!['auto', 'hidden', 'visible'].includes(over)) {
    throw new InvalidArgumentError(
      'options.over',
      `expected "auto", "hidden" or "visible", got ${String(over)}`,
    );
  }
  const maxUnits = options.maxUnits ?? 20;
  assertInteger('options.maxUnits', maxUnits, 1, 30);
  let layer: 'hidden' | 'visible';
  if (rbm.kind === 'gaussian-bernoulli') {
    if (over === 'visible') {
      throw new UnsupportedError(
        'exactLogZ: a Gaussian-Bernoulli RBM has continuous visible units; enumerate the hidden layer',
      );
    }
    layer = 'hidden';
  } else {
    layer = over === 'auto' ? (rbm.hidden <= rbm.visible ? 'hidden' : 'visible') : over;
  }
  const units = layer === 'hidden' ? rbm.hidden : rbm.visible;
  if (units > maxUnits) {
    throw new UnsupportedError(
      `exactLogZ: enumerating ${units} ${layer} units (2^${units} states) exceeds options.maxUnits = ${maxUnits}; use ais() for larger models`,
    );
  }
  const other = layer === 'hidden' ? rbm.visible : rbm.hidden;
  const total = 2 ** units;
  const chunk = Math.min(total, rowsFor(Math.max(units, other)));
  const parts: number[] = [];
  const bits = new Float32Array(chunk * units);
  for (let start = 0; start < total; start += chunk) {
    const size = Math.min(chunk, total - start);
    for (let r = 0; r < size; r++) {
      const state = start + r;
      for (let j = 0; j < units; j++) bits[r * units + j] = Math.floor(state / 2 ** j) % 2;
    }
    const lse = tf.tidy(() => {
      const x = tf.tensor2d(bits.subarray(0, size * units), [size, units]);
      const negF =
        layer === 'hidden'
          ? tf.neg(rbm.hiddenFreeEnergyUnchecked(x))
          : tf.neg(rbm.freeEnergyUnchecked(x));
      return tf.logSumExp(negF);
    });
    parts.push(lse.dataSync()[0]!);
    lse.dispose();
  }
  return logSumExp(parts);
}

/** Mean free energy of the rows of `data` (checked for the model's domain). @internal */
function meanFreeEnergy(rbm: RBM, data: RBMData, name: string): number {
  const domain = rbm.kind === 'bernoulli' ? 'binary' : 'real';
  const { tensor, owned } = toMatrix(name, data, rbm.visible, domain);
  try {
    const fe = mapRows(tensor, rowsFor(rbm.hidden + rbm.visible), (rows) =>
      rbm.freeEnergyUnchecked(rows),
    );
    let s = 0;
    for (const x of fe) s += x;
    return s / fe.length;
  } finally {
    if (owned) tensor.dispose();
  }
}

/**
 * Mean log-likelihood of the rows of `data` in nats: -mean F(v) - log Z. Give `logZ` (from
 * {@link ais} or {@link exactLogZ}); without it, log Z is computed exactly (small models only).
 * Bernoulli RBMs need binary data; for Gaussian-Bernoulli RBMs this is a log density.
 */
export function logLikelihood(
  rbm: RBM,
  data: RBMData,
  options: { logZ?: number } & ExactLogZOptions = {},
): number {
  checkModel(rbm);
  checkOptions(options);
  if (options.logZ !== undefined && !Number.isFinite(options.logZ)) {
    throw new InvalidArgumentError('options.logZ', `expected a finite number, got ${options.logZ}`);
  }
  const domain = rbm.kind === 'bernoulli' ? 'binary' : 'real';
  const { tensor, owned } = toMatrix('data', data, rbm.visible, domain);
  try {
    const logZ = options.logZ ?? exactLogZ(rbm, options);
    return -meanFreeEnergy(rbm, tensor, 'data') - logZ;
  } finally {
    if (owned) tensor.dispose();
  }
}

/**
 * Mean squared error per unit between the rows of `data` and their one-step reconstructions
 * E[v | h] with h ~ p(h | v) (`sampleHidden: false`: h = p(h | v), deterministic).
 */
export function reconstructionError(
  rbm: RBM,
  data: RBMData,
  options: { seed?: SeedOrRng; sampleHidden?: boolean } = {},
): number {
  checkModel(rbm);
  checkOptions(options);
  const domain = rbm.kind === 'bernoulli' ? 'unit' : 'real';
  const { tensor, owned } = toMatrix('data', data, rbm.visible, domain);
  const rng = toRng(options.seed);
  const sampleHidden = options.sampleHidden ?? true;
  try {
    const err = mapRows(tensor, rowsFor(rbm.hidden + rbm.visible), (v) => {
      const ph = tf.sigmoid(rbm.hiddenInput(v)) as tf.Tensor2D;
      const h = sampleHidden ? (fast.bernoulli(ph, rng) as tf.Tensor2D) : ph;
      return tf.mean(tf.square(tf.sub(v, rbm.probV(h))), 1) as tf.Tensor1D;
    });
    let s = 0;
    for (const x of err) s += x;
    return s / err.length;
  } finally {
    if (owned) tensor.dispose();
  }
}

/** Result of {@link pseudoLikelihood}. */
export interface PseudoLikelihoodResult {
  /** Mean over rows of the log pseudo-likelihood, in nats. */
  mean: number;
  /** Standard error of `mean` over rows (sample sd / sqrt(n)). */
  stdErr: number;
  /** Per-row values. */
  values: Float32Array;
}

/**
 * Log pseudo-likelihood sum_i log p(v_i | v_-i) of binary data under a Bernoulli RBM, using
 * p(v_i | v_-i) = sigmoid(F(v with v_i flipped) - F(v)).
 *
 * - `method: 'exact'` (default): flips every visible unit in turn and sums all terms exactly
 *   (deterministic; costs `visible` free energies per row, computed in chunks).
 * - `method: 'stochastic'`: scikit-learn's `BernoulliRBM.score_samples`: one unit i drawn
 *   uniformly per row, `visible * log sigmoid(F(v~) - F(v))`, an unbiased but noisy estimate of
 *   the same sum.
 */
export function pseudoLikelihood(
  rbm: RBM,
  data: RBMData,
  options: { method?: 'exact' | 'stochastic'; seed?: SeedOrRng } = {},
): PseudoLikelihoodResult {
  checkModel(rbm);
  checkOptions(options);
  if (rbm.kind !== 'bernoulli') {
    throw new UnsupportedError(
      'pseudoLikelihood: defined here for binary visible units (BernoulliRBM) only',
    );
  }
  const method = options.method ?? 'exact';
  if (method !== 'exact' && method !== 'stochastic') {
    throw new InvalidArgumentError(
      'options.method',
      `expected "exact" or "stochastic", got ${String(method)}`,
    );
  }
  const { tensor, owned } = toMatrix('data', data, rbm.visible, 'binary');
  const nv = rbm.visible;
  try {
    let values: Float32Array;
    if (method === 'exact') {
      // Flipping unit i moves the hidden pre-activation by (1 - 2 v_i) W_i and the visible term
      // -b.v by -(1 - 2 v_i) b_i; a [rows, visible, hidden] block holds every flip at once.
      const rows = rowsFor(nv * rbm.hidden, 1 << 22);
      values = mapRows(tensor, rows, (v) => {
        const pre = rbm.hiddenInput(v); // [r, h]
        const sign = tf.sub(1, tf.mul(v, 2)); // [r, v]
        const preFlip = tf.add(
          tf.expandDims(pre, 1),
          tf.mul(tf.expandDims(sign, 2), tf.expandDims(rbm.W, 0)),
        ); // [r, v, h]
        const spBase = tf.sum(softplus(pre), 1, true); // [r, 1]
        const spFlip = tf.sum(softplus(preFlip), 2); // [r, v]
        // F(flip) - F(v) = -(1 - 2 v_i) b_i - (spFlip_i - spBase)
        const dF = tf.sub(tf.neg(tf.mul(sign, rbm.b)), tf.sub(spFlip, spBase));
        return tf.sum(tf.neg(softplus(tf.neg(dF))), 1) as tf.Tensor1D;
      });
    } else {
      const rng = toRng(options.seed);
      const n = tensor.shape[0];
      const idx = new Int32Array(n);
      for (let r = 0; r < n; r++) idx[r] = rng.int(nv);
      const out = tf.tidy(() => {
        const mask = tf.oneHot(tf.tensor1d(idx, 'int32'), nv) as tf.Tensor2D;
        const flipped = tf.add(tf.mul(tensor, tf.sub(1, mask)), tf.mul(tf.sub(1, tensor), mask));
        const dF = tf.sub(
          rbm.freeEnergyUnchecked(flipped as tf.Tensor2D),
          rbm.freeEnergyUnchecked(tensor),
        );
        return tf.mul(tf.neg(softplus(tf.neg(dF))), nv);
      });
      values = Float32Array.from(out.dataSync());
      out.dispose();
    }
    const n = values.length;
    let s = 0;
    for (const x of values) s += x;
    const mean = s / n;
    let ss = 0;
    for (const x of values) ss += (x - mean) ** 2;
    const stdErr = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN;
    return { mean, stdErr, values };
  } finally {
    if (owned) tensor.dispose();
  }
}

/** Options of {@link ais}. */
export interface AISOptions {
  /** Independent AIS runs M. Integer >= 2, default 100. */
  runs?: number;
  /** Number of intermediate distributions K of the linear schedule beta_k = k / K. Default 1000. */
  steps?: number;
  /** A custom schedule instead (0 = beta_0 <= beta_1 <= ... <= beta_K = 1); overrides `steps`. */
  betas?: ArrayLike<number>;
  /**
   * Data to evaluate: if given, the result includes the mean log-likelihood of its rows, and
   * (unless `baseData` is given) the base-rate model is fitted to it.
   */
  data?: RBMData;
  /** Data whose per-unit means set the base model's visible biases. Default: `data`. */
  baseData?: RBMData;
  /** Seed or random stream. */
  seed?: SeedOrRng;
}

/** Result of {@link ais}. */
/**
 * The AIS estimate from log importance weights: log Z = log Z_base + log(mean w), its delta-method
 * standard error sd(w) / (sqrt(M) mean(w)) and the effective sample size (sum w)^2 / sum w^2,
 * computed stably (weights rescaled by the largest). Weights of several {@link ais} calls on the
 * same model and base (their `logWeights`, concatenated) combine into one estimate this way.
 */
export function combineAisWeights(
  logZBase: number,
  logWeights: ArrayLike<number>,
): { logZ: number; logZStdErr: number; effectiveSampleSize: number } {
  const m = logWeights.length;
  if (!Number.isFinite(logZBase)) {
    throw new InvalidArgumentError('logZBase', `expected a finite number, got ${logZBase}`);
  }
  if (m < 1) throw new InvalidArgumentError('logWeights', 'expected at least one log weight');
  for (let i = 0; i < m; i++) {
    if (Number.isNaN(logWeights[i]!)) {
      throw new InvalidArgumentError('logWeights', `log weight ${i} is NaN`);
    }
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m; i++) max = Math.max(max, logWeights[i]!);
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < m; i++) {
    const r = Math.exp(logWeights[i]! - max);
    s += r;
    s2 += r * r;
  }
  const meanR = s / m;
  const varR = m > 1 ? Math.max(0, (s2 - m * meanR * meanR) / (m - 1)) : Number.NaN;
  return {
    logZ: logZBase + max + Math.log(meanR),
    logZStdErr: Math.sqrt(varR / m) / meanR,
    effectiveSampleSize: (s * s) / s2,
  };
}

export interface AISResult {
  /** Estimate of log Z: log Z_base + log(mean importance weight). */
  logZ: number;
  /**
   * Standard error of `logZ` by the delta method: sd(w) / (sqrt(M) mean(w)), with w the
   * importance weights. It ignores the bias of log-of-a-mean (AIS underestimates log Z on average,
   * so log-likelihoods derived from it tend to be optimistic) and is itself unreliable when a few
   * weights dominate (check `effectiveSampleSize`).
   */
  logZStdErr: number;
  /** log Z of the base-rate model (W = 0). */
  logZBase: number;
  /** log importance weight of every run. */
  logWeights: Float64Array;
  /** (sum w)^2 / sum w^2, between 1 and M. */
  effectiveSampleSize: number;
  /** Mean log-likelihood of `options.data` in nats, -mean F(v) - logZ (when data were given). */
  logLikelihood?: number;
  /** Runs and intermediate distributions used. */
  runs: number;
  steps: number;
}

/**
 * Annealed importance sampling estimate of log Z (Salakhutdinov & Murray, 2008). The base model
 * has W = 0, the RBM's hidden biases scaled away, and visible biases fitted to the data (for
 * Bernoulli RBMs the logit of the smoothed per-unit mean (sum + 0.5) / (n + 1); for
 * Gaussian-Bernoulli RBMs the per-unit mean; zero / the RBM's own b without data). The
 * intermediate distributions are f_beta(v) = exp(-(1 - beta) V_base(v) - beta V(v))
 * prod_j (1 + exp(beta (c + s v W)_j)), traversed with one Gibbs sweep each; M independent runs
 * start from exact base samples. Log-weights are accumulated in float64 every 50 steps.
 */
export function ais(rbm: RBM, options: AISOptions = {}): AISResult {
  checkModel(rbm);
  checkOptions(options);
  const runs = options.runs ?? 100;
  assertInteger('options.runs', runs, 2);
  let betas: Float64Array;
  if (options.betas !== undefined) {
    const b = options.betas;
    if (typeof b !== 'object' || b === null || typeof b.length !== 'number' || b.length < 2) {
      throw new InvalidArgumentError('options.betas', 'expected an array of at least 2 numbers');
    }
    betas = Float64Array.from(b);
    if (betas[0] !== 0 || betas[betas.length - 1] !== 1) {
      throw new InvalidArgumentError('options.betas', 'expected to start at 0 and end at 1');
    }
    for (let k = 1; k < betas.length; k++) {
      if (!(betas[k]! >= betas[k - 1]!) || !Number.isFinite(betas[k]!)) {
        throw new InvalidArgumentError(
          'options.betas',
          `expected a non-decreasing finite sequence; breaks at index ${k}`,
        );
      }
    }
  } else {
    const steps = options.steps ?? 1000;
    assertInteger('options.steps', steps, 1);
    betas = Float64Array.from({ length: steps + 1 }, (_, k) => k / steps);
  }
  const domain = rbm.kind === 'bernoulli' ? 'binary' : 'real';
  const data =
    options.data === undefined ? null : toMatrix('options.data', options.data, rbm.visible, domain);
  let base: { tensor: tf.Tensor2D; owned: boolean } | null = null;
  try {
    base =
      options.baseData !== undefined
        ? toMatrix('options.baseData', options.baseData, rbm.visible, domain)
        : data
          ? { tensor: data.tensor, owned: false }
          : null;
    const rng = toRng(options.seed);
    // Base-rate visible biases.
    const baseBias = tf.tidy(() => {
      if (!base) return rbm.kind === 'bernoulli' ? tf.zeros([rbm.visible]) : tf.clone(rbm.b);
      const n = base.tensor.shape[0];
      const mean = tf.mean(base.tensor, 0);
      if (rbm.kind !== 'bernoulli') return mean;
      const p = tf.div(tf.add(tf.sum(base.tensor, 0), 0.5), n + 1);
      return tf.sub(tf.log(p), tf.log1p(tf.neg(p)));
    }) as tf.Tensor1D;
    const logZBase =
      rbm.visibleLogPartition(baseBias.dataSync() as Float32Array) + rbm.hidden * Math.LN2;
    const logw = new Float64Array(runs);
    let v = rbm.aisBaseSample(runs, baseBias, rng);
    let acc = tf.zeros([runs]) as tf.Tensor1D;
    const K = betas.length - 1;
    const flush = () => {
      const a = acc.dataSync();
      for (let i = 0; i < runs; i++) logw[i]! += a[i]!;
      acc.dispose();
      acc = tf.zeros([runs]) as tf.Tensor1D;
    };
    try {
      for (let k = 1; k <= K; k++) {
        const bPrev = betas[k - 1]!;
        const bNext = betas[k]!;
        const [nextAcc, nextV] = tf.tidy(() => {
          const pre = rbm.hiddenInput(v);
          const inc = tf.sub(
            rbm.aisLogF(v, bNext, baseBias, pre),
            rbm.aisLogF(v, bPrev, baseBias, pre),
          );
          const a = tf.add(acc, inc) as tf.Tensor1D;
          const nv = k < K ? rbm.aisTransition(v, bNext, baseBias, rng, pre) : tf.clone(v);
          return [a, nv] as [tf.Tensor1D, tf.Tensor2D];
        });
        acc.dispose();
        v.dispose();
        acc = nextAcc;
        v = nextV;
        if (k % 50 === 0 || k === K) flush();
      }
    } finally {
      acc.dispose();
      v.dispose();
      baseBias.dispose();
    }
    const { logZ, logZStdErr, effectiveSampleSize } = combineAisWeights(logZBase, logw);
    const result: AISResult = {
      logZ,
      logZStdErr,
      logZBase,
      logWeights: logw,
      effectiveSampleSize,
      runs,
      steps: K,
    };
    if (data) result.logLikelihood = -meanFreeEnergy(rbm, data.tensor, 'options.data') - logZ;
    return result;
  } finally {
    if (data?.owned) data.tensor.dispose();
    if (base?.owned) base.tensor.dispose();
  }
}
