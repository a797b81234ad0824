/**
 * The SGLD update as one op: `clamp(x - stepSize * clip(g, -gradClip, gradClip), lo, hi)`.
 *
 * @module sgld-update
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from './errors.js';
import { activeBackendHas } from './kernels/shared.js';
import { SGLD_UPDATE_KERNEL } from './kernels/wasm-sgld.js';
import { assertNumber, assertPositive, assertShape, assertTensor } from './validate.js';

/** Options of {@link sgldUpdate}. */
export interface SgldUpdateOptions {
  /** Multiplies the (clipped) gradient. */
  stepSize: number;
  /** Clip each gradient entry to [-gradClip, gradClip] first; `null`/absent: no clip. */
  gradClip?: number | null;
  /** Clamp the result to [lo, hi]; `null`/absent: no clamp. */
  clamp?: readonly [number, number] | null;
}

/**
 * `clamp(x - stepSize * clip(g, -gradClip, gradClip), lo, hi)`: the update of the book's SGLD
 * step (also a projected, clipped gradient step in general). Where the active backend has the
 * `EbmSgldUpdate` kernel (wasm and WebGL 2, registered by `initBackend`) this is one pass over the
 * data; else `clipByValue`, `mul`, `sub`, `clipByValue`. On wasm both give the same bits (the same
 * float32 operations in the same order); on webgl the same values to float32 rounding. Not
 * differentiable (a sampler step, run outside any gradient tape).
 *
 * @throws InvalidArgumentError for a bad step size, clip or clamp; ShapeError if `g`'s shape is not `x`'s.
 */
export function sgldUpdate<T extends tf.Tensor>(x: T, g: tf.Tensor, options: SgldUpdateOptions): T {
  assertTensor('x', x);
  assertTensor('g', g);
  assertShape('g', g, x.shape);
  const { stepSize, gradClip = null, clamp = null } = options;
  assertNumber('stepSize', stepSize);
  if (gradClip !== null) assertPositive('gradClip', gradClip);
  if (clamp !== null) {
    if (!Array.isArray(clamp) || clamp.length !== 2) {
      throw new InvalidArgumentError('clamp', 'expected [lo, hi]');
    }
    assertNumber('clamp[0]', clamp[0]);
    assertNumber('clamp[1]', clamp[1]);
    if (!(clamp[0] < clamp[1])) {
      throw new InvalidArgumentError('clamp', `expected lo < hi, got [${clamp[0]}, ${clamp[1]}]`);
    }
  }
  if (x.dtype === 'float32' && g.dtype === 'float32' && activeBackendHas(SGLD_UPDATE_KERNEL)) {
    return tf.engine().runKernel(SGLD_UPDATE_KERNEL, { x, g }, {
      stepSize,
      gradClip: gradClip ?? Number.POSITIVE_INFINITY,
      lo: clamp?.[0] ?? Number.NEGATIVE_INFINITY,
      hi: clamp?.[1] ?? Number.POSITIVE_INFINITY,
    } as unknown as tf.NamedAttrMap) as T;
  }
  return tf.tidy(() => {
    const c = gradClip === null ? g : tf.clipByValue(g, -gradClip, gradClip);
    const y = tf.sub(x, tf.mul(c, stepSize));
    return (clamp === null ? y : tf.clipByValue(y, clamp[0], clamp[1])) as T;
  });
}
