/**
 * Activations whose derivatives are correct to any order.
 *
 * tfjs 4.22's `sigmoid`, `tanh`, `exp` and `elu` compute their gradient from the saved forward
 * output, a tensor the tape does not connect back to the input, so a second derivative taken
 * through them silently drops terms (a swish built on `tf.sigmoid` gives 0.4889 instead of 0.4780
 * for its second derivative at 0.3). Here each op's gradient is written with the op itself
 * (`tf.customGrad`), so differentiating the gradient again goes through the same correct rule.
 * Score matching and any loss on an input gradient need this.
 *
 * @module ops
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackendHas } from './kernels/shared.js';
import { SWISH_GRAD_KERNEL, SWISH_KERNEL } from './kernels/wasm-activations.js';

type Unary = <T extends tf.Tensor>(x: T) => T;

/**
 * True while the engine records operations for a gradient, i.e. when the ops run now could be
 * differentiated later. A gradient function running with recording off is the last derivative
 * anyone takes through it, so it may use the saved forward output (cheaper, not on the tape).
 */
function recording(): boolean {
  const state = tf.engine().state;
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/**
 * A unary op with `derivative` written with ops of this module (so the tape records it as a
 * function of x and higher derivatives stay exact). `fromOutput`, if given, is the same
 * derivative computed from the saved output y (and x): used only when nothing records the
 * backward pass (a plain first-order gradient, the Langevin/SGLD case), where it saves
 * recomputing the activation.
 */
function unary(
  forward: (x: tf.Tensor) => tf.Tensor,
  derivative: (x: tf.Tensor) => tf.Tensor,
  fromOutput?: (y: tf.Tensor, x: tf.Tensor) => tf.Tensor,
): Unary {
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = forward(x);
    save(fromOutput ? [x, y] : [x]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(
          dy,
          fromOutput && !recording()
            ? fromOutput(saved[1]!, saved[0]!)
            : // Never from the saved output here: the tape must see a function of x.
              derivative(saved[0]!),
        ),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (<T extends tf.Tensor>(x: T) => op(x) as T) as Unary;
}

/** Logistic sigmoid 1 / (1 + e^-x), exact to any derivative order. */
export const sigmoid: Unary = unary(
  (x) => tf.sigmoid(x),
  (x) => {
    const s = sigmoid(x);
    return tf.mul(s, tf.sub(1, s));
  },
  (s) => tf.mul(s, tf.sub(1, s)),
);

/** Exponential, exact to any derivative order. */
export const exp: Unary = unary(
  (x) => tf.exp(x),
  (x) => exp(x),
  (y) => y,
);

/** Hyperbolic tangent, exact to any derivative order. */
export const tanh: Unary = unary(
  (x) => tf.tanh(x),
  (x) => {
    const t = tanh(x);
    return tf.sub(1, tf.square(t));
  },
  (t) => tf.sub(1, tf.square(t)),
);

/** Softplus log(1 + e^x), computed stably; its derivative is {@link sigmoid}. */
export const softplus: Unary = unary(
  // max(x, 0) + log1p(exp(-|x|)) never overflows.
  (x) => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x))))),
  (x) => sigmoid(x),
  (_y, x) => tf.sigmoid(x),
);

/** log(sigmoid(x)) = -softplus(-x), stable for large |x|. */
export function logSigmoid<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.neg(softplus(tf.neg(x)))) as T;
}

/**
 * Swish / SiLU x * sigmoid(x) (the book's activation), exact to any derivative order. One op with
 * its own gradient: swish'(x) = s + x s (1 - s) with s = sigmoid(x), written with this module's
 * sigmoid when the backward pass is recorded (higher orders), else s + y (1 - s) from the saved
 * s and y = x s (4 kernels instead of the 7 of differentiating `mul(x, sigmoid(x))`; on wasm one
 * SIMD kernel forward and one backward, see kernels/wasm-activations; on WebGL 2 one shader pass
 * backward, see kernels/webgl-fused).
 */
export const swish: Unary = (() => {
  // Fused kernels where the active backend has them: wasm (forward and backward), webgl (backward).
  const fused = (name: string, t: tf.Tensor) => t.dtype === 'float32' && activeBackendHas(name);
  const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    let s: tf.Tensor;
    let y: tf.Tensor;
    if (fused(SWISH_KERNEL, x)) {
      [y, s] = tf.engine().runKernel(SWISH_KERNEL, { x }, {}) as unknown as [tf.Tensor, tf.Tensor];
    } else {
      s = tf.sigmoid(x);
      y = tf.mul(x, s);
    }
    save([x, s, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, ss, sy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        if (recording()) {
          const sg = sigmoid(sx);
          return tf.mul(dy, tf.add(sg, tf.mul(tf.mul(sx, sg), tf.sub(1, sg))));
        }
        if (fused(SWISH_GRAD_KERNEL, dy)) {
          return tf.engine().runKernel(SWISH_GRAD_KERNEL, { dy, y: sy, s: ss }, {}) as tf.Tensor;
        }
        return tf.mul(dy, tf.add(ss, tf.mul(sy, tf.sub(1, ss))));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (<T extends tf.Tensor>(x: T) => op(x) as T) as Unary;
})();

/** ELU with alpha = 1: x for x > 0, e^x - 1 otherwise, exact to any derivative order. */
export function elu<T extends tf.Tensor>(x: T): T {
  // relu(x) + e^min(x,0) - 1, with min(x, 0) = -relu(-x): every op on the path has a gradient
  // (a comparison mask would not, and tf.where through one breaks second derivatives).
  return tf.tidy(() => tf.add(tf.relu(x), tf.sub(exp(tf.neg(tf.relu(tf.neg(x)))), 1))) as T;
}

/** The activations by name, for nets configured with strings. */
export const activations = {
  sigmoid,
  tanh,
  softplus,
  swish,
  elu,
  relu: <T extends tf.Tensor>(x: T): T => tf.relu(x),
  linear: <T extends tf.Tensor>(x: T): T => x,
} as const;

/** Name of an activation in {@link activations}. */
export type ActivationName = keyof typeof activations;
