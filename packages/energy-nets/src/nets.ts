/**
 * The energy-net builders: {@link convEnergyNet} (the book's network by default) and
 * {@link mlpEnergyNet}.
 *
 * @module nets
 */
import {
  type ActivationName,
  activations,
  assertInteger,
  assertOneOf,
  InvalidArgumentError,
  Rng,
  toRng,
} from '@ebmjs/tensor-backend';
import { type BuiltEnergyModel, buildNet, convOutputSize, type NetWeights } from './net.js';
import type {
  CommonNetOptions,
  ConvEnergyNetConfig,
  EnergyNetConfig,
  KernelInitializer,
  MlpEnergyNetConfig,
} from './types.js';

/** Options of {@link convEnergyNet}; every size defaults to the book's network. */
export interface ConvEnergyNetOptions extends CommonNetOptions {
  /** Per-example input shape `[height, width, channels]` (default `[32, 32, 1]`). */
  inputShape?: [number, number, number];
  /** Filters per conv layer (default `[16, 32, 64, 64]`). */
  filters?: number[];
  /** Kernel size per conv layer, or one for all (default `[5, 3, 3, 3]`). */
  kernelSizes?: number | number[];
  /** Stride per conv layer, or one for all (default 2). */
  strides?: number | number[];
  /** Padding of the conv layers (default `'same'`). */
  padding?: 'same' | 'valid';
  /** Hidden dense layers after flatten (default `[64]`); a final 1-unit layer always follows. */
  denseUnits?: number[];
}

/** Options of {@link mlpEnergyNet}. */
export interface MlpEnergyNetOptions extends CommonNetOptions {
  /** Dimension of the data; inputs are `[N, inputDim]`. */
  inputDim: number;
  /** Hidden layer widths (default `[64, 64]`); a final 1-unit layer always follows. */
  hidden?: number[];
}

const ACTIVATIONS = Object.keys(activations) as ActivationName[];
const INITS: readonly KernelInitializer[] = ['glorotUniform', 'heUniform'];

function positiveInts(name: string, value: unknown, allowEmpty: boolean): number[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    throw new InvalidArgumentError(
      name,
      `expected ${allowEmpty ? 'an' : 'a non-empty'} array of positive integers`,
    );
  }
  value.forEach((v, i) => {
    assertInteger(`${name}[${i}]`, v, 1);
  });
  return [...value] as number[];
}

function perLayer(name: string, value: unknown, n: number): number[] {
  if (typeof value === 'number') {
    assertInteger(name, value, 1);
    return new Array<number>(n).fill(value);
  }
  const list = positiveInts(name, value, false);
  if (list.length !== n) {
    throw new InvalidArgumentError(
      name,
      `expected ${n} entries (one per conv layer, as in filters), got ${list.length}`,
    );
  }
  return list;
}

/** Resolves a seed option into the number that reproduces the initial weights. */
function resolveSeed(seed: CommonNetOptions['seed']): number {
  if (seed instanceof Rng) return seed.nextSeed();
  return toRng(seed).getState().seed;
}

function common(options: CommonNetOptions) {
  const activation = options.activation ?? 'swish';
  assertOneOf('options.activation', activation, ACTIVATIONS);
  const kernelInitializer = options.kernelInitializer ?? 'glorotUniform';
  assertOneOf('options.kernelInitializer', kernelInitializer, INITS);
  const spectralNorm = options.spectralNorm ?? false;
  if (typeof spectralNorm !== 'boolean') {
    throw new InvalidArgumentError('options.spectralNorm', 'expected a boolean');
  }
  return { activation, kernelInitializer, spectralNorm };
}

/** Validates conv options and fills in the defaults. */
export function resolveConvConfig(options: ConvEnergyNetOptions = {}): ConvEnergyNetConfig {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an options object');
  }
  const inputShape = positiveInts('options.inputShape', options.inputShape ?? [32, 32, 1], false);
  if (inputShape.length !== 3) {
    throw new InvalidArgumentError(
      'options.inputShape',
      `expected [height, width, channels], got [${inputShape.join(', ')}]`,
    );
  }
  const filters = positiveInts('options.filters', options.filters ?? [16, 32, 64, 64], false);
  const defaultKernels = filters.length === 4 ? [5, 3, 3, 3] : 3;
  const kernelSizes = perLayer(
    'options.kernelSizes',
    options.kernelSizes ?? defaultKernels,
    filters.length,
  );
  const strides = perLayer('options.strides', options.strides ?? 2, filters.length);
  const padding = options.padding ?? 'same';
  assertOneOf('options.padding', padding, ['same', 'valid'] as const);
  const denseUnits = positiveInts('options.denseUnits', options.denseUnits ?? [64], true);
  let hw: [number, number] = [inputShape[0]!, inputShape[1]!];
  kernelSizes.forEach((k, i) => {
    hw = convOutputSize(hw, k, strides[i]!, padding);
    if (hw[0] < 1 || hw[1] < 1) {
      throw new InvalidArgumentError(
        'options.kernelSizes',
        `conv layer ${i} (kernel ${k}, valid padding) leaves no output for input ${inputShape.join('x')}`,
      );
    }
  });
  return {
    kind: 'conv',
    inputShape: inputShape as [number, number, number],
    filters,
    kernelSizes,
    strides,
    padding,
    denseUnits,
    ...common(options),
    seed: resolveSeed(options.seed),
  };
}

/** Validates MLP options and fills in the defaults. */
export function resolveMlpConfig(options: MlpEnergyNetOptions): MlpEnergyNetConfig {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an options object with inputDim');
  }
  assertInteger('options.inputDim', options.inputDim, 1);
  const hidden = positiveInts('options.hidden', options.hidden ?? [64, 64], true);
  return {
    kind: 'mlp',
    inputShape: [options.inputDim],
    hidden,
    ...common(options),
    seed: resolveSeed(options.seed),
  };
}

/**
 * The convolutional energy net of the book (Foster, *Generative Deep Learning*, 2nd ed., ch. 7),
 * built from plain ops: by default input 32×32×1; Conv2D 16 (5×5), 32, 64, 64 (3×3), all stride
 * 2, same padding, swish; flatten; dense 64 swish; dense 1. 76,993 parameters.
 *
 * The output is the **energy** E (low = likely). The book's Keras model outputs a score -E
 * (real images score high); to use such weights, load them with
 * `loadEnergyModel(path, { negate: true })`.
 *
 * @example
 * ```ts
 * const net = convEnergyNet({ seed: 1 });
 * const e = net.energy(tf.zeros([8, 32, 32, 1]));   // [8]
 * ```
 */
export function convEnergyNet(options: ConvEnergyNetOptions = {}): BuiltEnergyModel {
  return buildNet(resolveConvConfig(options));
}

/**
 * A fully connected energy net for low-dimensional data: `inputDim -> hidden... -> 1`, with the
 * chosen activation on every hidden layer and a linear output (the energy).
 *
 * @example
 * ```ts
 * const net = mlpEnergyNet({ inputDim: 2, hidden: [64, 64], seed: 0 });
 * const e = net.energy(tf.randomNormal([100, 2]));  // [100]
 * ```
 */
export function mlpEnergyNet(options: MlpEnergyNetOptions): BuiltEnergyModel {
  return buildNet(resolveMlpConfig(options));
}

/** Validates a stored config again (throws `InvalidArgumentError` naming the bad field). */
export function resolveConfig(config: EnergyNetConfig): EnergyNetConfig {
  if (typeof config !== 'object' || config === null) {
    throw new InvalidArgumentError('config', 'expected an energy-net config object');
  }
  if (config.kind === 'conv') return resolveConvConfig({ ...config });
  if (config.kind === 'mlp') {
    const inputDim = Array.isArray(config.inputShape) ? config.inputShape[0] : undefined;
    return resolveMlpConfig({ ...config, inputDim: inputDim as number });
  }
  throw new InvalidArgumentError(
    'config.kind',
    `expected "conv" or "mlp", got ${JSON.stringify((config as { kind?: unknown }).kind)}`,
  );
}

/** Rebuilds a net from a stored config (validated again) and optional weights. */
export function energyNetFromConfig(
  config: EnergyNetConfig,
  weights?: NetWeights,
): BuiltEnergyModel {
  return buildNet(resolveConfig(config), weights);
}
