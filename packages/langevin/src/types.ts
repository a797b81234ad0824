/**
 * Sampler kernel types shared by every sampler in this package.
 *
 * @module types
 */

import type * as tf from '@tensorflow/tfjs';
import type { disposeState } from './sample.js';

/**
 * A value that may change with the step index: a fixed number or a schedule `(step) => number`.
 * `step` is the 0-based index of the step being taken (counted from `init`).
 */
export type ScheduleLike = number | ((step: number) => number);

/**
 * What every sampler state carries. States are plain objects (type aliases, so they are also
 * `tf.TensorContainer`s: `tf.dispose(state)` works); the caller owns their tensors.
 */
export type SamplerState = {
  /** Current samples, `[N, ...]` (one chain per row). */
  readonly x: tf.Tensor;
  /** Number of steps taken since `init`. */
  readonly step: number;
  /**
   * The chain's random stream (seed + counter). Because it lives in the state, `step` is a pure
   * function of its input: stepping the same state twice gives the same result. (An `RngState`
   * of `@ebmjs/tensor-backend`, written out so that states stay `tf.TensorContainer`s.)
   */
  readonly rng: { readonly seed: number; readonly counter: number };
};

/** Diagnostics every sampler reports per step (numbers need no host sync). */
export type StepInfo = {
  /** 0-based index of the step just taken. */
  readonly step: number;
  /** Step size used for this step (after the schedule). */
  readonly stepSize: number;
};

/**
 * A sampler as a pair of pure kernels (the blackjax shape).
 *
 * - `init(x0)` clones `x0` into a fresh state (the caller keeps ownership of `x0`).
 * - `step(state)` returns a NEW state and the step's diagnostics; the old state is left intact
 *   and the caller disposes it ({@link disposeState}`(state)`), as well as any tensors in the info
 *   (`disposeState(info)` works on any info object).
 */
export interface Sampler<S extends SamplerState = SamplerState, I extends StepInfo = StepInfo> {
  /** Name of the algorithm, e.g. `'sgld'`. */
  readonly name: string;
  init(x0: tf.Tensor): S;
  step(state: S): [S, I];
}
