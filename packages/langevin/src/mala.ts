/**
 * The Metropolis-adjusted Langevin algorithm: a ULA proposal corrected by a Metropolis–Hastings
 * accept/reject per chain, so the chain targets p ∝ exp(−E) exactly.
 *
 * @module mala
 */

import { Rng, type SeedOrRng, toRng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  chainRng,
  checkEnergy,
  checkKeys,
  checkOptionsObject,
  checkX0,
  energyAndGrad,
  perChainSum,
  requireOption,
} from './common.js';
import type { EnergyFn } from './energy.js';
import { evaluate, toSchedule } from './schedules.js';
import type { Sampler, SamplerState, ScheduleLike, StepInfo } from './types.js';

/** Options of {@link mala}. */
export interface MalaOptions {
  /** ε, the proposal's noise scale (number or schedule), > 0; drift step ε²/2 (as {@link ula}). */
  stepSize: ScheduleLike;
  /** Seed or random stream. Same seed, same numbers on one backend. */
  seed?: SeedOrRng;
}

/** MALA state: the chain plus cached energy and gradient at `x` (so a step needs one gradient). */
export type MalaState = SamplerState & {
  /** E(x) per chain, `[N]`. */
  readonly energy: tf.Tensor1D;
  /** ∇x E(x), same shape as `x`. */
  readonly grad: tf.Tensor;
  /** Running count of accepted proposals per chain since `init`, `[N]`. */
  readonly accepted: tf.Tensor1D;
};

/** Diagnostics of one MALA step. Tensors: dispose with `disposeState(info)`. */
export type MalaInfo = StepInfo & {
  /** Fraction of chains that accepted this step's proposal (a scalar tensor; read it lazily). */
  readonly acceptRate: tf.Scalar;
};

const KEYS = ['stepSize', 'seed'] as const;

/**
 * MALA. Proposal `x' = x − (ε²/2) ∇E(x) + ε z`; accept with probability
 * `min(1, exp(E(x) − E(x') + log q(x | x') − log q(x' | x)))`, where
 * `log q(b | a) = −|b − a + (ε²/2) ∇E(a)|² / (2ε²)` (constants cancel). Accept/reject is per chain.
 *
 * One energy-and-gradient evaluation per step (at the proposal; the current point's values are
 * cached in the state), one normal and one uniform draw. No host sync: the acceptance rate is a
 * tensor in the info, and {@link acceptanceRate} reads the running rate when asked.
 */
export function mala(energy: EnergyFn, options: MalaOptions): Sampler<MalaState, MalaInfo> {
  checkEnergy(energy);
  checkOptionsObject('options', options);
  requireOption('options', options, 'stepSize', 'a step size ε > 0 (number or schedule)');
  checkKeys('options', options, KEYS);
  const stepSize = toSchedule('options.stepSize', options.stepSize);
  const base = toRng(options.seed);
  const vg = energyAndGrad(energy);

  return {
    name: 'mala',
    init(x0) {
      checkX0('x0', x0);
      const parts = tf.tidy(() => {
        const x = tf.clone(x0);
        const { value, grad } = vg(x);
        return { x, value, grad, accepted: tf.zeros([x0.shape[0]!]) as tf.Tensor1D };
      });
      return {
        x: parts.x,
        energy: parts.value,
        grad: parts.grad,
        accepted: parts.accepted,
        step: 0,
        rng: chainRng(base),
      };
    },
    step(state) {
      checkX0('state.x', state.x);
      const t = state.step;
      const eps = evaluate('options.stepSize', stepSize, t);
      const h = (eps * eps) / 2;
      const rng = Rng.fromState(state.rng);
      const out = tf.tidy(() => {
        const { x, energy: e, grad: g } = state;
        const z = rng.normal(x.shape);
        const xp = tf.add(tf.sub(x, tf.mul(g, h)), tf.mul(z, eps));
        const { value: ep, grad: gp } = vg(xp);
        // log q(x'|x) = -|eps z|^2 / (2 eps^2) = -|z|^2 / 2
        const logFwd = tf.mul(perChainSum(tf.square(z)), -0.5);
        const back = tf.add(tf.sub(x, xp), tf.mul(gp, h));
        const logBack = tf.mul(perChainSum(tf.square(back)), -1 / (2 * eps * eps));
        const logAlpha = tf.add(tf.sub(e, ep), tf.sub(logBack, logFwd));
        const u = rng.uniform([x.shape[0]!], 0, 1);
        // NaN log-alpha (a broken proposal) compares false: rejected.
        const acc = tf.less(tf.log(u), logAlpha) as tf.Tensor1D;
        const accFull = tf.broadcastTo(
          tf.reshape(acc, [x.shape[0]!, ...x.shape.slice(1).map(() => 1)]),
          x.shape,
        );
        const accF = tf.cast(acc, 'float32') as tf.Tensor1D;
        return {
          x: tf.where(accFull, xp, x),
          energy: tf.where(acc, ep, e) as tf.Tensor1D,
          grad: tf.where(accFull, gp, g),
          accepted: tf.add(state.accepted, accF) as tf.Tensor1D,
          acceptRate: tf.mean(accF) as tf.Scalar,
        };
      });
      const { acceptRate, ...rest } = out;
      return [
        { ...rest, step: t + 1, rng: rng.getState() },
        { step: t, stepSize: eps, acceptRate },
      ];
    },
  };
}

/**
 * Running acceptance rate of a MALA state (accepted proposals / (chains × steps)); reads one
 * number from the device (a host sync), so call it outside hot loops. NaN before the first step.
 */
export function acceptanceRate(state: MalaState): number {
  if (state.step === 0) return Number.NaN;
  const total = tf.tidy(() => tf.sum(state.accepted));
  const value = total.dataSync()[0]!;
  total.dispose();
  return value / (state.accepted.shape[0] * state.step);
}
