/**
 * Score-matching losses: Fisher divergence, exact (Hyvärinen 2005), sliced (Song et al. 2019)
 * and denoising (Vincent 2011) score matching. Each takes an energy and a batch and returns a
 * scalar differentiable with respect to the energy's weights (second- and third-order gradients
 * through tensor-backend's activations).
 *
 * @module losses
 */

import {
  assertInteger,
  assertOneOf,
  assertPositive,
  assertTensor,
  InvalidArgumentError,
  ShapeError,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  basisProbes,
  exampleSize,
  type ProbeDistribution,
  perExampleSum,
  sampleProbes,
  scoreAndQuadraticForm,
  scoreFunction,
  tileBatch,
} from './score.js';
import type {
  EnergyFn,
  NoiseConditionalEnergyFn,
  Reduction,
  ScoreFn,
  SeedOption,
} from './types.js';

const PROBES: readonly ProbeDistribution[] = ['rademacher', 'gaussian', 'sphere'];

/** Checks the energy and the batch before any work. */
export function checkInputs(energy: unknown, x: unknown): asserts x is tf.Tensor {
  if (typeof energy !== 'function') {
    throw new InvalidArgumentError('energy', `expected an energy function, got ${typeof energy}`);
  }
  assertTensor('x', x);
  if (x.rank < 2) {
    throw new ShapeError(
      'x',
      `expected a batch [N, ...] of rank >= 2, got [${x.shape.join(', ')}]`,
    );
  }
  if (x.shape[0] === 0 || x.size === 0) throw new ShapeError('x', 'the batch is empty');
  if (x.dtype !== 'float32')
    throw new InvalidArgumentError('x', `expected float32, got ${x.dtype}`);
}

function checkReduction(reduction: unknown): Reduction {
  if (reduction === undefined) return 'mean';
  assertOneOf('options.reduction', reduction, ['mean', 'none'] as const);
  return reduction;
}

function reduce(per: tf.Tensor1D, reduction: Reduction): tf.Tensor {
  return reduction === 'mean' ? tf.mean(per) : per;
}

/** Options of {@link fisherDivergence}. */
export interface FisherDivergenceOptions {
  /** `'mean'` (default) returns a scalar, `'none'` the per-example values `[N]`. */
  reduction?: Reduction;
}

/**
 * Fisher divergence ½ E‖s_θ(x) − s(x)‖² between the model score s_θ = −∇x E and a known score
 * `trueScore` (a function of the batch, or a tensor of the batch's shape), averaged over `x`.
 * The evaluation metric of score-based models when the data score is known (toy data,
 * analytic energies); differentiable with respect to the weights.
 */
export function fisherDivergence(
  energy: EnergyFn,
  trueScore: ScoreFn | tf.Tensor,
  x: tf.Tensor,
  options: FisherDivergenceOptions = {},
): tf.Tensor {
  checkInputs(energy, x);
  const reduction = checkReduction(options.reduction);
  if (trueScore instanceof tf.Tensor) {
    assertTensor('trueScore', trueScore);
    if (!tf.util.arraysEqual(trueScore.shape, x.shape)) {
      throw new ShapeError(
        'trueScore',
        `expected the shape of x [${x.shape.join(', ')}], got [${trueScore.shape.join(', ')}]`,
      );
    }
  } else if (typeof trueScore !== 'function') {
    throw new InvalidArgumentError('trueScore', 'expected a score function or a tensor');
  }
  return tf.tidy(() => {
    const target = trueScore instanceof tf.Tensor ? trueScore : trueScore(x);
    if (!(target instanceof tf.Tensor) || !tf.util.arraysEqual(target.shape, x.shape)) {
      const got = target instanceof tf.Tensor ? `[${target.shape.join(', ')}]` : typeof target;
      throw new ShapeError(
        'trueScore',
        `must return the shape of x [${x.shape.join(', ')}], got ${got}`,
      );
    }
    const s = scoreFunction(energy)(x);
    return reduce(tf.mul(0.5, perExampleSum(tf.square(tf.sub(s, target)))), reduction);
  });
}

/** Options of {@link exactScoreMatching}. */
export interface ExactScoreMatchingOptions extends SeedOption {
  /**
   * Estimate the Hessian trace with Hutchinson's estimator instead of computing it exactly.
   * Default: exact when the per-example size D ≤ `maxExactDim`, Hutchinson beyond.
   */
  hutchinson?: boolean;
  /** Probe vectors per example for Hutchinson's estimator (default 1). */
  probes?: number;
  /** Distribution of Hutchinson's probes (default `'rademacher'`, the lowest-variance one). */
  distribution?: ProbeDistribution;
  /** Largest per-example size traced exactly when `hutchinson` is not set (default 32). */
  maxExactDim?: number;
  /** `'mean'` (default) returns a scalar, `'none'` the per-example values `[N]`. */
  reduction?: Reduction;
}

/**
 * Hyvärinen's (2005) score-matching objective
 * J(θ) = E[ tr ∇x s_θ(x) + ½‖s_θ(x)‖² ], with s_θ = ∇x log p_θ = −∇x E.
 * It equals the Fisher divergence to the data minus a constant that does not depend on θ
 * (the same objective evaluated at the data score, −½E‖s_data‖²), so it is minimised where the
 * Fisher divergence is.
 *
 * The Hessian trace is computed exactly (all D diagonal entries, as one gradient call on a
 * batch tiled D times) when D ≤ `maxExactDim`; otherwise with Hutchinson's estimator
 * tr A ≈ mean over probes of vᵀ A v, which is unbiased but noisy. Needs third-order gradients
 * for training: use tensor-backend's activations in the energy.
 */
export function exactScoreMatching(
  energy: EnergyFn,
  x: tf.Tensor,
  options: ExactScoreMatchingOptions = {},
): tf.Tensor {
  checkInputs(energy, x);
  const reduction = checkReduction(options.reduction);
  const maxExactDim = options.maxExactDim ?? 32;
  assertInteger('options.maxExactDim', maxExactDim, 0);
  const probes = options.probes ?? 1;
  assertInteger('options.probes', probes, 1);
  const distribution = options.distribution ?? 'rademacher';
  assertOneOf('options.distribution', distribution, PROBES);
  if (options.hutchinson !== undefined && typeof options.hutchinson !== 'boolean') {
    throw new InvalidArgumentError('options.hutchinson', 'expected a boolean');
  }
  const n = x.shape[0]!;
  const d = exampleSize(x);
  const hutchinson = options.hutchinson ?? d > maxExactDim;
  const rng = hutchinson ? toRng(options.seed) : undefined;
  return tf.tidy(() => {
    const copies = hutchinson ? probes : d;
    const X = tileBatch(x, copies);
    const V = rng ? sampleProbes(rng, X.shape, distribution) : basisProbes(n, x.shape.slice(1));
    const { s, q } = scoreAndQuadraticForm(energy, X, V);
    const qBlocks = tf.reshape(q, [copies, n]);
    // Exact: the sum of the D diagonal entries; Hutchinson: the mean over probes.
    const trace = hutchinson ? tf.mean(qBlocks, 0) : tf.sum(qBlocks, 0);
    const s0 = copies === 1 ? s : tf.slice(s, 0, n);
    const per = tf.add(trace, tf.mul(0.5, perExampleSum(tf.square(s0)))) as tf.Tensor1D;
    return reduce(per, reduction);
  });
}

/** Options of {@link slicedScoreMatching}. */
export interface SlicedScoreMatchingOptions extends SeedOption {
  /** Random projections per example (default 1). */
  projections?: number;
  /** Distribution of the projections (default `'rademacher'`); all have E[v vᵀ] = I. */
  distribution?: ProbeDistribution;
  /**
   * SSM-VR: replace ½(vᵀs)² by its expectation ½‖s‖² (exact since E[v vᵀ] = I); lower
   * variance, recommended by Song et al. (default false: the plain SSM objective).
   */
  varianceReduced?: boolean;
  /** `'mean'` (default) returns a scalar, `'none'` the per-example values `[N]`. */
  reduction?: Reduction;
}

/**
 * Sliced score matching (Song, Garg, Shi & Ermon 2019):
 * J(θ) = E_x E_v[ vᵀ ∇x s_θ(x) v + ½ (vᵀ s_θ(x))² ] (or ½‖s_θ(x)‖² with `varianceReduced`),
 * an unbiased, dimension-free substitute for exact score matching: one extra backward pass per
 * projection instead of one per input dimension.
 */
export function slicedScoreMatching(
  energy: EnergyFn,
  x: tf.Tensor,
  options: SlicedScoreMatchingOptions = {},
): tf.Tensor {
  checkInputs(energy, x);
  const reduction = checkReduction(options.reduction);
  const projections = options.projections ?? 1;
  assertInteger('options.projections', projections, 1);
  const distribution = options.distribution ?? 'rademacher';
  assertOneOf('options.distribution', distribution, PROBES);
  const vr = options.varianceReduced ?? false;
  if (typeof vr !== 'boolean')
    throw new InvalidArgumentError('options.varianceReduced', 'expected a boolean');
  const rng = toRng(options.seed);
  const n = x.shape[0]!;
  return tf.tidy(() => {
    const X = tileBatch(x, projections);
    const V = sampleProbes(rng, X.shape, distribution);
    const { s, q } = scoreAndQuadraticForm(energy, X, V);
    const second = vr
      ? tf.mul(0.5, perExampleSum(tf.square(s)))
      : tf.mul(0.5, tf.square(perExampleSum(tf.mul(V, s))));
    const per = tf.mean(tf.reshape(tf.add(q, second), [projections, n]), 0) as tf.Tensor1D;
    return reduce(per, reduction);
  });
}

/** Weighting λ(σ) of the noise levels in {@link denoisingScoreMatching}. */
export type NoiseWeighting = 'sigma2' | 'none' | ((sigma: number) => number);

/** Options of {@link denoisingScoreMatching}. */
export interface DenoisingScoreMatchingOptions extends SeedOption {
  /** Noise level σ > 0, or several levels (NCSN). */
  sigma: number | number[];
  /**
   * λ(σ): `'sigma2'` (default, λ = σ², as in NCSN, which makes every level's loss O(1)),
   * `'none'` (λ = 1: the plain Vincent loss), or a function of σ returning a number ≥ 0.
   */
  weighting?: NoiseWeighting;
  /**
   * With several levels: `'random'` (default) draws one level per example, uniformly, as NCSN
   * trains; `'all'` evaluates every example at every level (L times the cost, lower variance).
   */
  levels?: 'random' | 'all';
  /**
   * The energy is noise-conditional, E(x̃, σ) (a {@link NoiseConditionalEnergyFn}): it is called
   * with the per-example noise levels `[N]` as second argument. Default false.
   */
  conditional?: boolean;
  /** `'mean'` (default) returns a scalar, `'none'` the per-example values `[N]` (`'all'`: averaged over levels). */
  reduction?: Reduction;
}

/**
 * Denoising score matching (Vincent 2011), with several noise levels as in NCSN (Song & Ermon
 * 2019): x̃ = x + σε, ε ~ N(0, I), and
 * ℓ(θ; σ) = ½ E‖s_θ(x̃) + ε/σ‖², whose minimiser is the score of the noised data q_σ = p * N(0, σ²I)
 * (not of the clean data: small σ approaches it). The loss is the mean over examples of
 * λ(σ) ℓ(θ; σ); with the default λ(σ) = σ² that is ½‖σ s_θ(x̃) + ε‖².
 * With an unconditional energy and several levels, one energy fits a blend of the noised
 * distributions; NCSN-style models pass `conditional: true`.
 */
export function denoisingScoreMatching(
  energy: EnergyFn | NoiseConditionalEnergyFn,
  x: tf.Tensor,
  options: DenoisingScoreMatchingOptions,
): tf.Tensor {
  checkInputs(energy, x);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected { sigma, ... }');
  }
  const reduction = checkReduction(options.reduction);
  const sigmas = typeof options.sigma === 'number' ? [options.sigma] : options.sigma;
  if (!Array.isArray(sigmas) || sigmas.length === 0) {
    throw new InvalidArgumentError(
      'options.sigma',
      'expected a number > 0 or a non-empty array of them',
    );
  }
  sigmas.forEach((s, i) => {
    assertPositive(typeof options.sigma === 'number' ? 'options.sigma' : `options.sigma[${i}]`, s);
  });
  const weighting = options.weighting ?? 'sigma2';
  const weights = sigmas.map((s) => {
    if (weighting === 'sigma2') return s * s;
    if (weighting === 'none') return 1;
    if (typeof weighting !== 'function') {
      throw new InvalidArgumentError(
        'options.weighting',
        `expected 'sigma2', 'none' or a function, got ${String(weighting)}`,
      );
    }
    const w = weighting(s);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(
        'options.weighting',
        `must return a finite number >= 0, got ${String(w)} for sigma ${s}`,
      );
    }
    return w;
  });
  const levels = options.levels ?? 'random';
  assertOneOf('options.levels', levels, ['random', 'all'] as const);
  const conditional = options.conditional ?? false;
  if (typeof conditional !== 'boolean')
    throw new InvalidArgumentError('options.conditional', 'expected a boolean');
  const rng = toRng(options.seed);
  const n = x.shape[0]!;
  const L = sigmas.length;
  const all = levels === 'all' && L > 1;
  // Per-row level index: block-wise for 'all', uniform draws for 'random'.
  const idx = new Int32Array(all ? L * n : n);
  for (let i = 0; i < idx.length; i++) idx[i] = all ? Math.floor(i / n) : L === 1 ? 0 : rng.int(L);
  return tf.tidy(() => {
    const X = tileBatch(x, all ? L : 1);
    const rows = X.shape[0]!;
    const index = tf.tensor1d(idx, 'int32');
    const sigmaRow = tf.gather(tf.tensor1d(sigmas), index) as tf.Tensor1D;
    const weightRow = tf.gather(tf.tensor1d(weights), index);
    const bshape = [rows, ...new Array<number>(X.rank - 1).fill(1)];
    const sigmaB = tf.reshape(sigmaRow, bshape);
    const eps = rng.normal(X.shape);
    const noisy = tf.add(X, tf.mul(sigmaB, eps));
    const e: EnergyFn = conditional
      ? (v) => (energy as NoiseConditionalEnergyFn)(v, sigmaRow)
      : (energy as EnergyFn);
    const s = scoreFunction(e)(noisy);
    const per = tf.mul(
      weightRow,
      tf.mul(0.5, perExampleSum(tf.square(tf.add(s, tf.div(eps, sigmaB))))),
    );
    const perExample = (all ? tf.mean(tf.reshape(per, [L, n]), 0) : per) as tf.Tensor1D;
    return reduce(perExample, reduction);
  });
}
