/**
 * The unadjusted Langevin algorithm (Euler–Maruyama discretisation of the Langevin diffusion).
 *
 * @module ula
 */

import { Rng, type SeedOrRng, toRng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  chainRng,
  checkEnergy,
  checkKeys,
  checkOptionsObject,
  checkX0,
  energyGrad,
  requireOption,
} from './common.js';
import type { EnergyFn } from './energy.js';
import { evaluate, toSchedule } from './schedules.js';
import type { Sampler, SamplerState, ScheduleLike, StepInfo } from './types.js';

/** Options of {@link ula}. */
export interface UlaOptions {
  /**
   * ε, the noise scale (number or schedule), > 0. The drift step is ε²/2. Texts that write
   * ULA as `x + h ∇log p + sqrt(2h) z` use h = ε²/2, i.e. ε = sqrt(2h).
   */
  stepSize: ScheduleLike;
  /** Seed or random stream. Same seed, same numbers on one backend. */
  seed?: SeedOrRng;
}

const KEYS = ['stepSize', 'seed'] as const;

/**
 * ULA: `x' = x + (ε²/2) ∇log p(x) + ε z = x − (ε²/2) ∇E(x) + ε z`, z ~ N(0, I).
 *
 * Unadjusted, so biased for any ε > 0 (for a Gaussian target with covariance Σ the chain's
 * stationary covariance is Σ (I − ε²/4 Σ⁻¹)⁻¹, slightly wider than Σ); see {@link mala} for the
 * exact (Metropolis-adjusted) version. One gradient and one normal draw per step.
 */
export function ula(energy: EnergyFn, options: UlaOptions): Sampler<SamplerState, StepInfo> {
  checkEnergy(energy);
  checkOptionsObject('options', options);
  requireOption('options', options, 'stepSize', 'a step size ε > 0 (number or schedule)');
  checkKeys('options', options, KEYS);
  const stepSize = toSchedule('options.stepSize', options.stepSize);
  const base = toRng(options.seed);
  const grad = energyGrad(energy);
  return {
    name: 'ula',
    init(x0) {
      checkX0('x0', x0);
      return { x: tf.clone(x0), step: 0, rng: chainRng(base) };
    },
    step(state) {
      checkX0('state.x', state.x);
      const t = state.step;
      const eps = evaluate('options.stepSize', stepSize, t);
      const rng = Rng.fromState(state.rng);
      const x = tf.tidy(() => {
        const g = grad(state.x);
        const drift = tf.sub(state.x, tf.mul(g, (eps * eps) / 2));
        return tf.add(drift, rng.normal(state.x.shape, 0, eps));
      });
      return [
        { x, step: t + 1, rng: rng.getState() },
        { step: t, stepSize: eps },
      ];
    },
  };
}
