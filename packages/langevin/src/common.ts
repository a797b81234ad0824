/**
 * Helpers shared by the samplers (validation, gradient evaluation). Internal.
 *
 * @module common
 * @internal
 */

import {
  assertTensor,
  InvalidArgumentError,
  type Rng,
  type RngState,
  ShapeError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { EnergyFn } from './energy.js';

/** Throws if `options` has keys outside `allowed` (catches typos such as `stepsize`). */
export function checkKeys(name: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(
        `${name}.${key}`,
        `unknown option; expected one of ${allowed.join(', ')}`,
      );
    }
  }
}

export function checkOptionsObject(name: string, options: unknown): asserts options is object {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError(name, `expected an options object, got ${String(options)}`);
  }
}

/** Throws unless `options` is an object with `key` set. */
export function requireOption(
  name: string,
  options: unknown,
  key: string,
  what: string,
): asserts options is object {
  if (
    typeof options !== 'object' ||
    options === null ||
    (options as Record<string, unknown>)[key] === undefined
  ) {
    throw new InvalidArgumentError(`${name}.${key}`, `required: ${what}`);
  }
}

export function checkEnergy(energy: unknown): asserts energy is EnergyFn {
  if (typeof energy !== 'function') {
    throw new InvalidArgumentError(
      'energy',
      `expected an EnergyFn (x: Tensor [N, ...]) => Tensor1D [N], got ${typeof energy}`,
    );
  }
}

/** Checks a batch of starting points: a live float32 tensor `[N, ...]` with N >= 1. */
export function checkX0(name: string, x0: unknown): asserts x0 is tf.Tensor {
  assertTensor(name, x0);
  if (x0.dtype !== 'float32') {
    throw new InvalidArgumentError(name, `expected a float32 tensor, got ${x0.dtype}`);
  }
  if (x0.rank < 1 || (x0.shape[0] ?? 0) < 1) {
    throw new ShapeError(
      name,
      `expected a batch [N, ...] with N >= 1, got [${x0.shape.join(', ')}]`,
    );
  }
}

/** A fresh chain stream for `init`: forks the sampler's stream (so successive inits differ). */
export function chainRng(base: Rng): RngState {
  return base.fork().getState();
}

/**
 * Wraps an energy as `x -> { value: E(x) [N], grad: d(sum E)/dx }` with ONE backward pass
 * (tf.valueAndGrad with the default all-ones cotangent), checking the energy's output shape.
 */
export function energyAndGrad(
  energy: EnergyFn,
): (x: tf.Tensor) => { value: tf.Tensor1D; grad: tf.Tensor } {
  const vg = tf.valueAndGrad((x: tf.Tensor) => checkedEnergy(energy, x));
  return (x) => {
    const { value, grad } = vg(x);
    return { value: value as tf.Tensor1D, grad };
  };
}

/** Gradient of the summed energy (one backward pass), checking the energy's output shape. */
export function energyGrad(energy: EnergyFn): (x: tf.Tensor) => tf.Tensor {
  return tf.grad((x: tf.Tensor) => checkedEnergy(energy, x));
}

function checkedEnergy(energy: EnergyFn, x: tf.Tensor): tf.Tensor1D {
  const e = energy(x);
  if (!(e instanceof tf.Tensor) || e.rank !== 1 || e.shape[0] !== x.shape[0]) {
    const got = e instanceof tf.Tensor ? `[${e.shape.join(', ')}]` : typeof e;
    throw new ShapeError('energy', `must return energies of shape [${x.shape[0]}], got ${got}`);
  }
  return e;
}

/** Sum over every axis but the batch axis: `[N, ...] -> [N]`. */
export function perChainSum(t: tf.Tensor): tf.Tensor1D {
  if (t.rank === 1) return t as tf.Tensor1D;
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
  return tf.sum(t, axes) as tf.Tensor1D;
}
