/**
 * `@ebmjs/energy-nets`: energy functions for ebmjs.
 *
 * Sign convention, held everywhere: **low energy = likely**, p(x) ∝ exp(-E(x)), and the score is
 * ∇x log p(x) = -∇x E(x).
 *
 * - {@link convEnergyNet}: the book's conv energy net (every size configurable), plain ops.
 * - {@link mlpEnergyNet}: an MLP energy net for low-dimensional data.
 * - Optional spectral normalisation (`spectralNorm: true`) with {@link EnergyModel.updateSpectralNorm}.
 * - Analytic energies with exact log-density and score: {@link gaussianEnergy},
 *   {@link gaussianMixtureEnergy}, {@link doubleWellEnergy}, {@link ringEnergy}.
 * - {@link saveEnergyModel} / {@link loadEnergyModel} in the tfjs Layers format.
 *
 * @packageDocumentation
 */
export {
  type DoubleWellEnergyOptions,
  doubleWellEnergy,
  type GaussianEnergyOptions,
  type GaussianMixtureEnergyOptions,
  gaussianEnergy,
  gaussianMixtureEnergy,
  type RingEnergyOptions,
  ringEnergy,
} from './analytic.js';
export {
  EBMJS_FORMAT,
  EBMJS_FORMAT_VERSION,
  type EbmjsMetadata,
  type LoadEnergyModelOptions,
  loadEnergyModel,
  type ModelLocation,
  saveEnergyModel,
  toLayersModel,
} from './io.js';
export { type BuiltEnergyModel, type BuiltLayer, SPECTRAL_NORM_WARMUP } from './net.js';
export {
  type ConvEnergyNetOptions,
  convEnergyNet,
  energyNetFromConfig,
  type MlpEnergyNetOptions,
  mlpEnergyNet,
} from './nets.js';
export type {
  AnalyticEnergy,
  CommonNetOptions,
  ConvEnergyNetConfig,
  EnergyFn,
  EnergyModel,
  EnergyNetConfig,
  KernelInitializer,
  MlpEnergyNetConfig,
} from './types.js';
