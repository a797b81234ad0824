/**
 * Convolution with its bias added in the same kernel, differentiable lazily and to any order.
 *
 * `tf.conv2d` + `tf.add(bias)` costs a second pass over the activations (an `Add` kernel per
 * layer, about 3 ms of a 40 ms Langevin step of the book's net on wasm). tfjs's own
 * `tf.fused.conv2d` runs the backends' `FusedConv2D` kernel, which adds the bias inside the
 * convolution (XNNPACK on wasm), but its gradient is a `customGrad` that always computes the
 * filter gradient, even when only the input gradient is wanted, as in every Langevin step.
 * {@link conv2dBias} runs the same kernel and registers a gradient for it whose parts are
 * computed only when asked for, each built from differentiable tfjs ops (`conv2dTranspose`, the
 * `Conv2DBackpropFilter` kernel, `sum`), as tfjs's `Conv2D` gradient is.
 *
 * @module conv
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, ShapeError } from './errors.js';

const KERNEL = 'FusedConv2D';

interface FusedConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: string;
}

/** The gradient of `FusedConv2D` without activation (the only form {@link conv2dBias} runs). */
const fusedConvGrad: tf.GradConfig = {
  kernelName: KERNEL,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } =
      attrs as unknown as FusedConvAttrs;
    const dy4 = dy as tf.Tensor4D;
    if (activation !== 'linear') {
      // tf.fused.conv2d differentiates its own activations through a customGrad and never
      // reaches this gradient; a direct FusedConv2D kernel call with an activation would.
      throw new InvalidArgumentError(
        'activation',
        `the ebmjs gradient of ${KERNEL} covers activation 'linear' only, got '${activation}'`,
      );
    }
    const one = (d: [number, number] | number) =>
      Array.isArray(d) ? d.every((v) => v === 1) : d === 1;
    if (!one(dilations)) {
      throw new InvalidArgumentError('dilations', `gradients need dilations 1, got ${dilations}`);
    }
    return {
      x: () =>
        tf.conv2dTranspose(
          dy4,
          filter,
          x.shape,
          strides,
          pad as 'valid' | 'same' | number,
          dimRoundingMode,
        ),
      filter: () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => tf.sum(dy4, [0, 1, 2]),
    };
  },
};

let gradientRegistered = false;

function ensureGradient(): void {
  if (gradientRegistered) return;
  // Another library's FusedConv2D gradient, if any, stays in charge.
  if (!tf.getGradient(KERNEL)) tf.registerGradient(fusedConvGrad);
  gradientRegistered = true;
}

/**
 * `conv2d(x, filter) + bias` (NHWC, dilation 1) in one `FusedConv2D` kernel. Gradients with
 * respect to `x`, `filter` and `bias` are computed only when asked for and can be differentiated
 * again. Same results as `tf.add(tf.conv2d(x, filter, strides, pad), bias)` up to float rounding.
 *
 * @param x `[batch, height, width, inChannels]`
 * @param filter `[filterHeight, filterWidth, inChannels, outChannels]`
 * @param bias `[outChannels]`
 * @throws {@link ShapeError} for ranks or channel counts that do not fit.
 */
export function conv2dBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  strides: [number, number] | number,
  pad: 'valid' | 'same',
): tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeError('x', `expected rank 4 (NHWC), got rank ${x.rank}`);
  if (filter.rank !== 4) {
    throw new ShapeError('filter', `expected rank 4 [fh, fw, in, out], got rank ${filter.rank}`);
  }
  if (filter.shape[2] !== x.shape[3]) {
    throw new ShapeError(
      'filter',
      `has ${filter.shape[2]} input channels but x has ${x.shape[3]} channels`,
    );
  }
  if (bias.rank !== 1 || bias.shape[0] !== filter.shape[3]) {
    throw new ShapeError(
      'bias',
      `expected shape [${filter.shape[3]}], got [${bias.shape.join(', ')}]`,
    );
  }
  ensureGradient();
  const attrs: FusedConvAttrs = {
    strides,
    pad,
    dataFormat: 'NHWC',
    dilations: [1, 1],
    dimRoundingMode: undefined,
    activation: 'linear',
  };
  return tf
    .engine()
    .runKernel(KERNEL, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
