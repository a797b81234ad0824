/**
 * Types shared by the losses and the training helper.
 *
 * @module types
 */

import type { EnergyFn } from '@ebmjs/energy-nets';
import type { Rng, SeedOrRng } from '@ebmjs/tensor-backend';
import type * as tf from '@tensorflow/tfjs';

/**
 * An energy function (`@ebmjs/energy-nets`' type): maps a batch `[N, ...]` to energies `[N]`;
 * low energy = likely, p(x) ∝ exp(-E(x)), so the model score is s(x) = ∇x log p(x) = -∇x E(x).
 */
export type { EnergyFn };

/**
 * A noise-conditional energy E(x, σ) (as in NCSN): `sigma` holds one noise level per example,
 * shape `[N]`. Used by {@link denoisingScoreMatching} with `conditional: true`.
 */
export type NoiseConditionalEnergyFn = (x: tf.Tensor, sigma: tf.Tensor1D) => tf.Tensor1D;

/** A score function x ↦ ∇x log p(x), batch `[N, ...]` to `[N, ...]`. */
export type ScoreFn = (x: tf.Tensor) => tf.Tensor;

/** What a training loop needs from a model: its energy and its trainable weights. */
export interface TrainableEnergy {
  readonly energy: EnergyFn;
  readonly variables: tf.Variable[];
  /**
   * Present on spectrally normalised nets of `@ebmjs/energy-nets`: refreshes the singular-vector
   * estimates; the training loop calls it after every optimiser step.
   */
  updateSpectralNorm?(iterations?: number): void;
}

/**
 * A noise distribution for {@link nce}: exact sampling and a normalised log-density.
 */
export interface NoiseDistribution {
  /** `n` samples `[n, ...]` of the data's per-example shape. */
  sample(n: number, rng: Rng): tf.Tensor;
  /** Normalised log-density of each example, `[N]`. */
  logProb(x: tf.Tensor): tf.Tensor1D;
}

/** How a loss averages over the batch. */
export type Reduction = 'mean' | 'none';

/** Options every stochastic loss accepts. */
export interface SeedOption {
  /** Seed or random stream for probes / noise; the same seed gives the same draws. */
  seed?: SeedOrRng;
}
