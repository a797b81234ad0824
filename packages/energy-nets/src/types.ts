import type { ActivationName, SeedOrRng } from '@ebmjs/tensor-backend';
import type * as tf from '@tensorflow/tfjs';

/**
 * An energy function: maps a batch `[N, ...]` to energies `[N]`.
 *
 * Sign convention (held everywhere in ebmjs): **low energy = likely**, p(x) ∝ exp(-E(x)), so the
 * score is ∇x log p(x) = -∇x E(x). (The Keras book's network outputs a score that is -E.)
 */
export type EnergyFn = (x: tf.Tensor) => tf.Tensor1D;

/**
 * A trainable energy network: what samplers and trainers accept.
 *
 * `energy` runs as plain ops (conv2d + bias + activation, matMul) on `variables`, so gradients
 * with respect to the input and the weights, and gradients of gradients, are cheap and exact.
 */
export interface EnergyModel {
  /** The energy function; low energy = likely. Throws `ShapeError` for a wrong input shape. */
  readonly energy: EnergyFn;
  /** Trainable weights, in layer order (kernel, bias, kernel, bias, ...), for optimizers. */
  readonly variables: tf.Variable[];
  /** Per-example input shape, e.g. `[32, 32, 1]` or `[2]`. */
  readonly inputShape: number[];
  /**
   * JSON-serialisable description, enough to rebuild the same architecture (an
   * {@link EnergyNetConfig} for the nets of this package).
   */
  readonly config: object;
  /**
   * Present on spectrally normalised nets: runs power iterations that refresh the persistent
   * singular-vector estimates after the weights changed. Call it after each optimizer step.
   */
  updateSpectralNorm?(iterations?: number): void;
  /** Frees the variables (and spectral-norm state). The model is unusable afterwards. */
  dispose(): void;
}

/** Configuration of a conv energy net (all fields resolved, as stored in saved models). */
export interface ConvEnergyNetConfig {
  kind: 'conv';
  /** Per-example input shape `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** Filters per conv layer. */
  filters: number[];
  /** Square kernel size per conv layer. */
  kernelSizes: number[];
  /** Stride per conv layer. */
  strides: number[];
  /** Padding of every conv layer. */
  padding: 'same' | 'valid';
  /** Units of the hidden dense layers after flatten (the final 1-unit layer is implicit). */
  denseUnits: number[];
  /** Activation of every hidden layer (the final energy layer is linear). */
  activation: ActivationName;
  /** Whether every weight matrix is divided by its spectral norm (Du & Mordatch). */
  spectralNorm: boolean;
  /** Weight initialisation of the kernels (biases start at zero, as in Keras). */
  kernelInitializer: KernelInitializer;
  /** Seed that reproduces the initial weights (when known). */
  seed?: number;
}

/** Configuration of an MLP energy net (all fields resolved). */
export interface MlpEnergyNetConfig {
  kind: 'mlp';
  /** Per-example input shape `[inputDim]`. */
  inputShape: [number];
  /** Units of the hidden dense layers (the final 1-unit layer is implicit). */
  hidden: number[];
  activation: ActivationName;
  spectralNorm: boolean;
  kernelInitializer: KernelInitializer;
  seed?: number;
}

/** Any energy net configuration. */
export type EnergyNetConfig = ConvEnergyNetConfig | MlpEnergyNetConfig;

/** Kernel initialisers, as Keras defines them: Glorot uniform (Keras's default) or He uniform. */
export type KernelInitializer = 'glorotUniform' | 'heUniform';

/** Options shared by both net builders. */
export interface CommonNetOptions {
  /** Activation name from tensor-backend's `activations` (default `'swish'`). */
  activation?: ActivationName;
  /** Divide each weight matrix by its spectral norm (default false). */
  spectralNorm?: boolean;
  /** Kernel initialiser (default `'glorotUniform'`, as Keras). */
  kernelInitializer?: KernelInitializer;
  /** Seed or random stream for the initial weights (and spectral-norm vectors). */
  seed?: SeedOrRng;
}

/**
 * An energy with known density: `logProb(x) = -energy(x) - logZ`.
 *
 * `normalization` says how `logZ` was obtained: `'closed-form'` (exact) or `'quadrature'` (a
 * one-dimensional numerical integral in float64 at construction, relative error far below
 * float32 resolution).
 */
export interface AnalyticEnergy {
  /** Dimension d of the data; inputs are `[N, d]`. */
  readonly dim: number;
  /** Energy `[N, d] -> [N]` (low = likely). Higher-order derivatives are exact. */
  readonly energy: EnergyFn;
  /** Normalised log-density `[N, d] -> [N]`. */
  readonly logProb: (x: tf.Tensor) => tf.Tensor1D;
  /** Score ∇x log p(x) = -∇x E(x), computed analytically, `[N, d] -> [N, d]`. */
  readonly score: (x: tf.Tensor) => tf.Tensor2D;
  /** log of the normaliser Z = ∫ exp(-E). */
  readonly logZ: number;
  /** How `logZ` was obtained. */
  readonly normalization: 'closed-form' | 'quadrature';
  /** Draws `n` samples `[n, d]`, where exact (or numerically exact) sampling is available. */
  sample?(n: number, seed?: SeedOrRng): tf.Tensor2D;
  /** Mean of the distribution (when known). */
  readonly mean?: number[];
  /** Covariance matrix of the distribution (when known). */
  readonly covariance?: number[][];
}
