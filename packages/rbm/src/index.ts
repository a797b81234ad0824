/**
 * `@ebmjs/rbm`: restricted Boltzmann machines on TensorFlow.js.
 *
 * - Models: {@link BernoulliRBM} (binary visible units) and {@link GaussianBernoulliRBM}
 *   (Gaussian visible units of fixed sigma), with energy, free energy, conditionals, block Gibbs
 *   sampling and CD-k / PCD-k training (`fit`, `step`).
 * - Evaluation: {@link reconstructionError}, {@link pseudoLikelihood} (exact or scikit-learn's
 *   stochastic estimate), {@link exactLogZ} by enumeration, {@link ais} (annealed importance
 *   sampling), {@link logLikelihood}.
 * - Persistence: {@link saveRBM} / {@link loadRBM} (atomic JSON files), {@link rbmToJSON} /
 *   {@link rbmFromJSON}.
 * - Pictures: {@link filtersToImage}.
 *
 * @packageDocumentation
 */
export type { ArrayData, RBMData } from './data.js';
export {
  type AISOptions,
  type AISResult,
  ais,
  combineAisWeights,
  type ExactLogZOptions,
  exactLogZ,
  logLikelihood,
  logSumExp,
  type PseudoLikelihoodResult,
  pseudoLikelihood,
  reconstructionError,
} from './evaluate.js';
export { type FilterImages, type FiltersToImageOptions, filtersToImage } from './filters.js';
export { loadRBM, rbmFromJSON, rbmToJSON, saveRBM } from './io.js';
export {
  BernoulliRBM,
  type EpochMetrics,
  type FitHistory,
  type FitOptions,
  GaussianBernoulliRBM,
  type GaussianBernoulliRBMOptions,
  type LearningRate,
  RBM,
  type RBMJSON,
  type RBMKind,
  type RBMOptions,
  type StepMetrics,
  type StepOptions,
} from './rbm.js';
