/**
 * The machinery shared by the conv and MLP energy nets: layers as plain ops on `tf.Variable`s,
 * Keras-style initialisation and spectral normalisation with persistent power-iteration vectors.
 *
 * @module net
 */
import {
  activations,
  assertTensor,
  conv2dBias,
  createRng,
  InvalidArgumentError,
  type Rng,
  ShapeError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import type { EnergyModel, EnergyNetConfig, KernelInitializer } from './types.js';

/** Power iterations run when a spectrally normalised net is created. */
export const SPECTRAL_NORM_WARMUP = 20;

/** One layer of a built net. */
export interface BuiltLayer {
  kind: 'conv' | 'dense';
  /** Conv: [k, k, inCh, outCh]; dense: [in, out]. */
  kernel: tf.Variable;
  bias: tf.Variable;
  stride: number;
  /** Null for the final (linear) layer. */
  activation: string | null;
  /** Spectral-norm state: v (size fanIn) and u (size out), non-trainable. */
  sn?: { v: tf.Variable; u: tf.Variable };
}

/** The layer plan of a config: what buildNet creates. */
export interface LayerPlan {
  kind: 'conv' | 'dense';
  kernelShape: number[];
  stride: number;
  activation: string | null;
}

/** Expands a config into its layers (conv layers, then dense layers, then the 1-unit output). */
export function planLayers(config: EnergyNetConfig): LayerPlan[] {
  const plan: LayerPlan[] = [];
  const act = config.activation;
  let flat: number;
  if (config.kind === 'conv') {
    let [h, w, c] = config.inputShape;
    config.filters.forEach((f, i) => {
      const k = config.kernelSizes[i]!;
      const s = config.strides[i]!;
      plan.push({ kind: 'conv', kernelShape: [k, k, c, f], stride: s, activation: act });
      [h, w] = convOutputSize([h, w], k, s, config.padding);
      c = f;
    });
    flat = h * w * c;
  } else {
    flat = config.inputShape[0];
  }
  const units = config.kind === 'conv' ? config.denseUnits : config.hidden;
  for (const u of units) {
    plan.push({ kind: 'dense', kernelShape: [flat, u], stride: 1, activation: act });
    flat = u;
  }
  plan.push({ kind: 'dense', kernelShape: [flat, 1], stride: 1, activation: null });
  return plan;
}

/** Spatial output size of a square-kernel convolution (TensorFlow semantics). */
export function convOutputSize(
  [h, w]: [number, number],
  k: number,
  s: number,
  padding: 'same' | 'valid',
): [number, number] {
  if (padding === 'same') return [Math.ceil(h / s), Math.ceil(w / s)];
  return [Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1];
}

function fans(shape: number[]): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  const receptive = shape[0]! * shape[1]!;
  return [receptive * shape[2]!, receptive * shape[3]!];
}

/**
 * Keras initialisers: Glorot uniform U(±sqrt(6 / (fanIn + fanOut))) and He uniform
 * U(±sqrt(6 / fanIn)), with conv fans = kernel area × channels.
 */
export function initKernel(shape: number[], init: KernelInitializer, rng: Rng): tf.Tensor {
  const [fanIn, fanOut] = fans(shape);
  const limit = init === 'heUniform' ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniform(shape, -limit, limit);
}

function l2normalize(t: tf.Tensor): tf.Tensor {
  return tf.div(t, tf.add(tf.norm(t), 1e-12));
}

/** Kernel as the matrix [fanIn, out] that spectral normalisation works on. */
function kernelMatrix(kernel: tf.Tensor): tf.Tensor2D {
  const out = kernel.shape[kernel.rank - 1]!;
  return tf.reshape(kernel, [-1, out]);
}

/** σ ≈ vᵀ M u with the stored vectors (u, v constants; the gradient w.r.t. M is v uᵀ). */
function sigmaOf(layer: BuiltLayer): tf.Scalar {
  const { v, u } = layer.sn!;
  return tf.sum(tf.mul(tf.matMul(tf.reshape(v, [1, -1]), kernelMatrix(layer.kernel)), u));
}

/** The kernel the net computes with: W, or W / σ(W) with spectral normalisation. */
export function effectiveKernel(layer: BuiltLayer): tf.Tensor {
  return layer.sn ? tf.div(layer.kernel, sigmaOf(layer)) : layer.kernel;
}

function powerIterate(layer: BuiltLayer, iterations: number): void {
  const { u, v } = layer.sn!;
  tf.tidy(() => {
    const m = kernelMatrix(layer.kernel);
    let uu: tf.Tensor = u;
    let vv: tf.Tensor = v;
    for (let i = 0; i < iterations; i++) {
      vv = l2normalize(tf.matMul(m, tf.reshape(uu, [-1, 1])).reshape([-1]));
      uu = l2normalize(tf.matMul(tf.reshape(vv, [1, -1]), m).reshape([-1]));
    }
    v.assign(vv);
    u.assign(uu);
  });
}

/** Initial values for a built net (from a saved model). */
export interface NetWeights {
  /** Raw kernels and biases in layer order: kernel0, bias0, kernel1, bias1, ... */
  weights: tf.Tensor[];
  /** Spectral-norm vectors per layer. */
  sn?: { v: number[]; u: number[] }[];
}

/** The full model type returned by the builders. */
export interface BuiltEnergyModel extends EnergyModel {
  /** The resolved configuration (every size and option explicit). */
  readonly config: EnergyNetConfig;
  /** Layers, for inspection and serialisation. */
  readonly layers: readonly BuiltLayer[];
  /** Number of trainable scalars (what Keras's `countParams()` reports). */
  readonly parameterCount: number;
  /**
   * The weights the energy is computed with, in layer order (kernel, bias, ...): for spectrally
   * normalised nets each kernel is divided by its σ. The caller disposes them.
   */
  effectiveWeights(): tf.Tensor[];
}

/** Builds the variables and the plain-ops energy of a net. */
export function buildNet(config: EnergyNetConfig, initial?: NetWeights): BuiltEnergyModel {
  const plan = planLayers(config);
  const rng = createRng(config.seed ?? 0);
  const layers: BuiltLayer[] = [];
  plan.forEach((p, i) => {
    const out = p.kernelShape[p.kernelShape.length - 1]!;
    const kernelInit = initial
      ? initial.weights[2 * i]!
      : initKernel(p.kernelShape, config.kernelInitializer, rng);
    const biasInit = initial ? initial.weights[2 * i + 1]! : tf.zeros([out]);
    const layer: BuiltLayer = {
      kind: p.kind,
      kernel: tf.variable(kernelInit, true),
      bias: tf.variable(biasInit, true),
      stride: p.stride,
      activation: p.activation,
    };
    if (!initial) {
      kernelInit.dispose();
      biasInit.dispose();
    }
    if (config.spectralNorm) {
      const fanIn = p.kernelShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const saved = initial?.sn?.[i];
      const u0 = saved ? tf.tensor1d(saved.u) : tf.tidy(() => l2normalize(rng.normal([out])));
      const v0 = saved ? tf.tensor1d(saved.v) : tf.zeros([fanIn]);
      layer.sn = { u: tf.variable(u0, false), v: tf.variable(v0, false) };
      u0.dispose();
      v0.dispose();
      if (!saved) powerIterate(layer, SPECTRAL_NORM_WARMUP);
    }
    layers.push(layer);
  });

  const inputShape = [...config.inputShape];
  const variables = layers.flatMap((l) => [l.kernel, l.bias]);
  const parameterCount = variables.reduce((a, v) => a + v.size, 0);
  const padding = config.kind === 'conv' ? config.padding : 'valid';
  let disposed = false;

  const energy = (x: tf.Tensor): tf.Tensor1D => {
    if (disposed) throw new InvalidArgumentError('model', 'the model has been disposed');
    assertTensor('x', x);
    const ok = x.rank === inputShape.length + 1 && inputShape.every((d, i) => x.shape[i + 1] === d);
    if (!ok) {
      throw new ShapeError(
        'x',
        `expected shape [N, ${inputShape.join(', ')}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let h: tf.Tensor = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
      const n = x.shape[0]!;
      for (const layer of layers) {
        const k = effectiveKernel(layer);
        if (layer.kind === 'conv') {
          // bias added inside the convolution kernel (one pass less over the activations)
          h = conv2dBias(
            h as tf.Tensor4D,
            k as tf.Tensor4D,
            layer.bias as tf.Tensor1D,
            layer.stride,
            padding,
          );
        } else {
          if (h.rank !== 2) h = tf.reshape(h, [n, -1]);
          h = tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), layer.bias);
        }
        if (layer.activation) {
          h = activations[layer.activation as keyof typeof activations](h);
        }
      }
      return tf.reshape(h, [n]) as tf.Tensor1D;
    });
  };

  const model: BuiltEnergyModel = {
    energy,
    variables,
    inputShape,
    config,
    layers,
    parameterCount,
    effectiveWeights: () =>
      tf.tidy(() => layers.flatMap((l) => [tf.clone(effectiveKernel(l)), tf.clone(l.bias)])),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const l of layers) {
        l.kernel.dispose();
        l.bias.dispose();
        l.sn?.u.dispose();
        l.sn?.v.dispose();
      }
    },
  };
  if (config.spectralNorm) {
    model.updateSpectralNorm = (iterations = 1) => {
      if (!Number.isInteger(iterations) || iterations < 1) {
        throw new InvalidArgumentError('iterations', `expected an integer >= 1, got ${iterations}`);
      }
      for (const l of layers) powerIterate(l, iterations);
    };
  }
  return model;
}
