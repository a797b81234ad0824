/**
 * SGLD as used to train energy-based models (Du & Mordatch 2019; Lippe's tutorial; the book's
 * Keras loop): noisy gradient descent on the energy with a clamp and a gradient clip.
 *
 * @module sgld
 */

import {
  assertPositive,
  InvalidArgumentError,
  Rng,
  type SeedOrRng,
  sgldUpdate,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  chainRng,
  checkEnergy,
  checkKeys,
  checkOptionsObject,
  checkX0,
  energyGrad,
} from './common.js';
import type { EnergyFn } from './energy.js';
import { evaluate, toSchedule } from './schedules.js';
import type { Sampler, SamplerState, ScheduleLike, StepInfo } from './types.js';

/** The book's SGLD settings: `{ stepSize: 10, noise: 0.005, gradClip: 0.03, clamp: [-1, 1] }`. */
export const SGLD_BOOK_DEFAULTS = Object.freeze({
  stepSize: 10,
  noise: 0.005,
  gradClip: 0.03,
  clamp: Object.freeze([-1, 1]) as readonly [number, number],
});

/** Options of {@link sgld}. Omitted keys take {@link SGLD_BOOK_DEFAULTS}. */
export interface SgldOptions {
  /** Gradient step size (number or schedule). Default 10. Must be > 0. */
  stepSize?: ScheduleLike;
  /**
   * Standard deviation of the Gaussian noise added before the gradient step (number or schedule).
   * Default 0.005. 0 adds no noise (and draws no random numbers).
   */
  noise?: ScheduleLike;
  /** Clip each gradient element to `[-gradClip, gradClip]`. Default 0.03; `null`/`undefined` = no clip. */
  gradClip?: number | null;
  /** Clamp samples to `[lo, hi]` after the noise and after the step. Default `[-1, 1]`; `null`/`undefined` = none. */
  clamp?: readonly [number, number] | null;
  /** Seed or random stream (`@ebmjs/tensor-backend`). Same seed, same numbers on one backend. */
  seed?: SeedOrRng;
}

/** Diagnostics of one SGLD step. */
export type SgldInfo = StepInfo & {
  /** Noise standard deviation used for this step. */
  readonly noise: number;
};

const KEYS = ['stepSize', 'noise', 'gradClip', 'clamp', 'seed'] as const;

/**
 * SGLD exactly as the book's loop, per step:
 *
 * 1. `x += N(0, noise²)` (skipped when noise is 0)
 * 2. `x = clamp(x, lo, hi)`
 * 3. `g = ∇x Σᵢ E(xᵢ)` (one backward pass)
 * 4. `g = clip(g, -gradClip, gradClip)` elementwise
 * 5. `x -= stepSize * g`
 * 6. `x = clamp(x, lo, hi)`
 *
 * This is the EBM-training heuristic, not an exact sampler: noise and step size are decoupled.
 * A key that is present with value `undefined` or `null` disables that part; an absent key takes
 * the book's default. Random numbers: `init` forks a chain stream from `seed`; each step with
 * noise draws one `normal` tensor from that stream (kept in `state.rng`).
 *
 * @example
 * ```ts
 * const sampler = sgld(energy, { stepSize: 10, noise: 0.005, gradClip: 0.03, clamp: [-1, 1], seed: 1 });
 * let state = sampler.init(x0);
 * for (let i = 0; i < 60; i++) { const [next] = sampler.step(state); disposeState(state); state = next; }
 * ```
 */
export function sgld(energy: EnergyFn, options: SgldOptions = {}): Sampler<SamplerState, SgldInfo> {
  checkEnergy(energy);
  checkOptionsObject('options', options);
  checkKeys('options', options, KEYS);
  const stepSize = toSchedule('options.stepSize', options.stepSize ?? SGLD_BOOK_DEFAULTS.stepSize);
  const noise = toSchedule('options.noise', options.noise ?? SGLD_BOOK_DEFAULTS.noise, {
    allowZero: true,
  });
  const gradClip = 'gradClip' in options ? (options.gradClip ?? null) : SGLD_BOOK_DEFAULTS.gradClip;
  if (gradClip !== null) assertPositive('options.gradClip', gradClip);
  const clamp = 'clamp' in options ? (options.clamp ?? null) : SGLD_BOOK_DEFAULTS.clamp;
  if (clamp !== null) checkClamp('options.clamp', clamp);
  const base = toRng(options.seed);
  const grad = energyGrad(energy);

  return {
    name: 'sgld',
    init(x0) {
      checkX0('x0', x0);
      return { x: tf.clone(x0), step: 0, rng: chainRng(base) };
    },
    step(state) {
      checkX0('state.x', state.x);
      const t = state.step;
      const eps = evaluate('options.stepSize', stepSize, t);
      const sigma = evaluate('options.noise', noise, t, true);
      const rng = Rng.fromState(state.rng);
      const x = tf.tidy(() => {
        let y = state.x;
        if (sigma > 0) y = tf.add(y, rng.normal(y.shape, 0, sigma));
        if (clamp !== null) y = tf.clipByValue(y, clamp[0], clamp[1]);
        // steps 4-6 in one op (one wasm kernel where registered; the same bits as the four ops)
        return sgldUpdate(y, grad(y), { stepSize: eps, gradClip, clamp });
      });
      return [
        { x, step: t + 1, rng: rng.getState() },
        { step: t, stepSize: eps, noise: sigma },
      ];
    },
  };
}

/** Checks a `[lo, hi]` pair with finite lo < hi. @internal */
export function checkClamp(
  name: string,
  clamp: unknown,
): asserts clamp is readonly [number, number] {
  if (
    !Array.isArray(clamp) ||
    clamp.length !== 2 ||
    !clamp.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new InvalidArgumentError(name, 'expected [lo, hi] with two finite numbers');
  }
  if (!(clamp[0] < clamp[1])) {
    throw new InvalidArgumentError(name, `expected lo < hi, got [${clamp[0]}, ${clamp[1]}]`);
  }
}
