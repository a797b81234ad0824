/**
 * `@ebmjs/score-matching`: train energy-based models without sampling.
 *
 * - {@link fisherDivergence}: ½E‖s_θ − s‖² against a known score (evaluation on toy data).
 * - {@link exactScoreMatching}: Hyvärinen (2005), exact Hessian trace for small inputs,
 *   Hutchinson's estimator beyond.
 * - {@link slicedScoreMatching}: Song et al. (2019), SSM and SSM-VR.
 * - {@link denoisingScoreMatching}: Vincent (2011), one or several noise levels (NCSN weighting).
 * - {@link nce}: noise-contrastive estimation with a learnable log-normaliser, and
 *   {@link gaussianNoise}, a noise distribution fitted to data.
 * - {@link fitScoreMatching}: a small training loop over any of them.
 *
 * Every loss takes an {@link EnergyFn} (low energy = likely; score s = −∇x E) and a batch, and
 * returns a scalar differentiable with respect to the energy's weights. Score matching needs
 * second- (and for exact/sliced SM third-) order gradients: build energies with
 * `@ebmjs/tensor-backend`'s activations, whose higher derivatives are correct.
 *
 * @packageDocumentation
 */
export {
  type BuiltinLoss,
  type FitCallbacks,
  type FitResult,
  type FitScoreMatchingOptions,
  fitScoreMatching,
  type LossFn,
  type MetricFn,
  type StepLog,
} from './fit.js';
export {
  type DenoisingScoreMatchingOptions,
  denoisingScoreMatching,
  type ExactScoreMatchingOptions,
  exactScoreMatching,
  type FisherDivergenceOptions,
  fisherDivergence,
  type NoiseWeighting,
  type SlicedScoreMatchingOptions,
  slicedScoreMatching,
} from './losses.js';
export {
  type GaussianNoise,
  type GaussianNoiseOptions,
  gaussianNoise,
  type NceOptions,
  nce,
} from './nce.js';
export { type ProbeDistribution, score } from './score.js';
export type {
  EnergyFn,
  NoiseConditionalEnergyFn,
  NoiseDistribution,
  Reduction,
  ScoreFn,
  SeedOption,
  TrainableEnergy,
} from './types.js';
