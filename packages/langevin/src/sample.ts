/**
 * `sample()`: runs a sampler for a number of steps with snapshots, a callback and early stop.
 *
 * @module sample
 */

import { assertInteger, InvalidArgumentError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkOptionsObject, checkX0 } from './common.js';
import type { Sampler, SamplerState, StepInfo } from './types.js';

/** Options of {@link sample}. */
export interface SampleOptions<S extends SamplerState, I extends StepInfo> {
  /** Number of steps, a positive integer. */
  steps: number;
  /**
   * Keep a clone of the samples after every `record`-th step (after steps k, 2k, ...); an integer
   * in [1, steps]. Omit for no trajectory.
   */
  record?: number;
  /**
   * Called after every step with the 0-based step index, the new state and the step's info. The
   * state and info are only valid during the call (clone what you keep). Return `false` (or a
   * promise of it) to stop early.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: callbacks that return nothing must type-check
  onStep?: (step: number, state: S, info: I) => boolean | void | Promise<boolean | void>;
  /** Stops before the next step once aborted. */
  signal?: AbortSignal;
  /**
   * Yield to the event loop (a macrotask) every this many steps, so that timers, UI and abort
   * handlers can run. Default: never (the loop only awaits `onStep` promises).
   */
  yieldEvery?: number;
  /**
   * Return the final state too (`result.state`, whose `x` is `result.samples`); the caller then
   * disposes it with `disposeState(result.state)`. Default false: only the samples are kept.
   */
  keepState?: boolean;
}

/** Result of {@link sample}. The caller owns (and disposes) `samples` and every `trajectory` entry. */
export interface SampleResult<S extends SamplerState> {
  /** Samples after the last step taken. */
  samples: tf.Tensor;
  /** Snapshots after steps `record`, `2·record`, ... (empty without `record`). */
  trajectory: tf.Tensor[];
  /** Number of steps actually taken (less than `steps` after an early stop). */
  steps: number;
  /** True if `onStep` or `signal` stopped the run early. */
  stopped: boolean;
  /** Final state, with `keepState: true` only. */
  state?: S;
}

const KEYS = ['steps', 'record', 'onStep', 'signal', 'yieldEvery', 'keepState'] as const;

/**
 * Runs `sampler` from `x0` for `options.steps` steps. Each step's old state and info are disposed
 * as soon as the next exists, so memory stays flat; `x0` is not touched (the caller keeps it).
 *
 * @example
 * ```ts
 * const { samples, trajectory } = await sample(sgld(energy), x0, { steps: 60, record: 10 });
 * ```
 */
export async function sample<S extends SamplerState, I extends StepInfo>(
  sampler: Sampler<S, I>,
  x0: tf.Tensor,
  options: SampleOptions<S, I>,
): Promise<SampleResult<S>> {
  if (
    typeof sampler !== 'object' ||
    sampler === null ||
    typeof sampler.init !== 'function' ||
    typeof sampler.step !== 'function'
  ) {
    throw new InvalidArgumentError('sampler', 'expected a Sampler { init(x0), step(state) }');
  }
  checkX0('x0', x0);
  checkOptionsObject('options', options);
  if (options === undefined) throw new InvalidArgumentError('options.steps', 'required');
  checkKeys('options', options, KEYS);
  const { steps, record, onStep, signal, yieldEvery, keepState = false } = options;
  assertInteger('options.steps', steps, 1);
  if (record !== undefined) {
    assertInteger('options.record', record, 1);
    if (record > steps) {
      throw new InvalidArgumentError(
        'options.record',
        `snapshot interval ${record} exceeds steps (${steps}); no snapshot would be taken`,
      );
    }
  }
  if (yieldEvery !== undefined) assertInteger('options.yieldEvery', yieldEvery, 1);
  if (onStep !== undefined && typeof onStep !== 'function') {
    throw new InvalidArgumentError('options.onStep', 'expected a function');
  }
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || !('aborted' in signal))
  ) {
    throw new InvalidArgumentError('options.signal', 'expected an AbortSignal');
  }

  const trajectory: tf.Tensor[] = [];
  let state = sampler.init(x0);
  let taken = 0;
  let stopped = false;
  try {
    while (taken < steps) {
      if (signal?.aborted) {
        stopped = true;
        break;
      }
      const [next, info] = sampler.step(state);
      disposeState(state);
      state = next;
      taken++;
      if (record !== undefined && taken % record === 0) trajectory.push(tf.clone(state.x));
      let keepGoing: unknown = true;
      try {
        if (onStep) {
          keepGoing = onStep(taken - 1, state, info);
          if (keepGoing instanceof Promise) keepGoing = await keepGoing;
        }
      } finally {
        disposeState(info);
      }
      if (keepGoing === false) {
        stopped = taken < steps;
        break;
      }
      if (yieldEvery !== undefined && taken % yieldEvery === 0 && taken < steps) {
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    }
  } catch (err) {
    disposeState(state);
    tf.dispose(trajectory);
    throw err;
  }
  if (keepState) return { samples: state.x, trajectory, steps: taken, stopped, state };
  const samples = state.x;
  disposeState(state, samples);
  return { samples, trajectory, steps: taken, stopped };
}

/**
 * Disposes every tensor held by a sampler state or a step's info (its own properties), optionally
 * sparing one tensor (e.g. the samples you keep). Numbers and other values are ignored.
 */
export function disposeState(state: object, keep?: tf.Tensor): void {
  for (const value of Object.values(state)) {
    if (value instanceof tf.Tensor && value !== keep) value.dispose();
  }
}
