/**
 * The seams the trainer relies on, written structurally so that any object with the right shape
 * works: `@ebmjs/energy-nets` models, `@ebmjs/langevin` samplers and `@ebmjs/replay-buffer`
 * buffers satisfy them, and so do small hand-written stand-ins.
 *
 * @module types
 */
import type * as tf from '@tensorflow/tfjs';

/** An energy function: `[N, ...] -> [N]`; low energy = likely. */
export type EnergyFn = (x: tf.Tensor) => tf.Tensor1D;

/** What the trainer needs from a model (`EnergyModel` of `@ebmjs/energy-nets` fits). */
export interface EnergyModelLike {
  /** Plain-ops energy function `[N, ...inputShape] -> [N]`. */
  readonly energy: EnergyFn;
  /** Trainable weights, in a fixed order (checkpoints store them by position). */
  readonly variables: tf.Variable[];
  /** Per-example input shape, e.g. `[32, 32, 1]` or `[2]`. */
  readonly inputShape: number[];
  /** JSON configuration enough to rebuild the net (stored in checkpoints). */
  readonly config?: object;
}

/** A sampler kernel (`@ebmjs/langevin`'s `Sampler`): pure init/step over explicit state. */
export interface SamplerLike {
  /** Initial state from a batch; the sampler clones `x0`. */
  init(x0: tf.Tensor): { x: tf.Tensor };
  /** One transition; returns a NEW state (the caller disposes the old one) and diagnostics. */
  step(state: { x: tf.Tensor }): [{ x: tf.Tensor }, unknown];
}

/**
 * Builds a sampler for an energy function. The trainer calls it once per training step with a
 * fresh seed drawn from its own random stream, so that a resumed run repeats the same chains.
 */
export type SamplerFactory = (
  energy: EnergyFn,
  context: { seed: number; step: number },
) => SamplerLike;

/** Serialised replay buffer, as produced by a buffer's `serialize()`. */
export type BufferSnapshot = unknown;

/** What the trainer needs from a replay buffer (`ReplayBuffer` of `@ebmjs/replay-buffer` fits). */
export interface ReplayBufferLike {
  /** `n` starting points `[n, ...shape]` (some freshly re-initialised). Caller owns the result. */
  sample(n: number): tf.Tensor;
  /** Stores the newest samples (the buffer keeps its own copy). */
  push(x: tf.Tensor): void;
  /** Number of stored samples. */
  readonly size: number;
}

/** Data accepted by `step`, `fit` and validation: a tensor or a `{ data, shape }` array pair. */
export type TrainData = tf.Tensor | { data: ArrayLike<number>; shape: readonly number[] };

/** Metrics of one training step (all plain numbers, read once per step). */
export interface StepMetrics {
  /** Total loss `cdiv + reg`. */
  loss: number;
  /** Regulariser `alpha * mean(E_real² + E_fake²)`. */
  reg: number;
  /** Contrastive divergence `mean(E_real) - mean(E_fake)` (the book's `mean(-E_fake) - mean(-E_real)`). */
  cdiv: number;
  /** Mean energy of the (noised) real batch. */
  real: number;
  /** Mean energy of the Langevin samples. */
  fake: number;
  /** Global L2 norm of the parameter gradient before clipping. */
  gradNorm: number;
  /** Learning rate used for this step. */
  lr: number;
}
