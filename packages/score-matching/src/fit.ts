/**
 * A small training loop for the score-matching losses and NCE.
 *
 * @module fit
 */

import {
  assertInteger,
  assertTensor,
  DivergenceError,
  InvalidArgumentError,
  type Rng,
  type SeedOrRng,
  ShapeError,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  type DenoisingScoreMatchingOptions,
  denoisingScoreMatching,
  type ExactScoreMatchingOptions,
  exactScoreMatching,
  type SlicedScoreMatchingOptions,
  slicedScoreMatching,
} from './losses.js';
import { gaussianNoise, type NceOptions, nce } from './nce.js';
import type { EnergyFn, TrainableEnergy } from './types.js';

/** Built-in losses of {@link fitScoreMatching}. */
export type BuiltinLoss = 'dsm' | 'ssm' | 'esm' | 'nce';

/**
 * A custom loss: energy, batch and the loop's random stream (for probes or noise) to a scalar.
 * Called inside `tf.variableGrads`, so it must be differentiable with respect to the weights.
 */
export type LossFn = (energy: EnergyFn, batch: tf.Tensor, rng: Rng) => tf.Tensor;

/** A metric: energy and the current batch to a number (or scalar tensor, read and disposed). */
export type MetricFn = (energy: EnergyFn, batch: tf.Tensor) => tf.Tensor | number;

/** What callbacks receive after each step. */
export interface StepLog {
  /** 0-based step index. */
  step: number;
  /** 0-based epoch index. */
  epoch: number;
  loss: number;
  /** Metrics, on steps where they were evaluated. */
  metrics?: Record<string, number>;
}

/** Hooks of {@link fitScoreMatching}. Returning `false` from `onStepEnd` stops training. */
export interface FitCallbacks {
  /** After every step. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing, or false to stop
  onStepEnd?(log: StepLog): void | boolean | Promise<void | boolean>;
  /** After the last step of each epoch (also of a partial epoch when training stops early). */
  onEpochEnd?(epoch: number, log: StepLog): void | Promise<void>;
}

/** Options of {@link fitScoreMatching}. */
export interface FitScoreMatchingOptions {
  /** The model (an `EnergyModel` of `@ebmjs/energy-nets` fits); or pass `energy` + `variables`. */
  model?: TrainableEnergy;
  energy?: EnergyFn;
  variables?: tf.Variable[];
  /** `'dsm'`, `'ssm'`, `'esm'`, `'nce'` or a {@link LossFn}. */
  loss: BuiltinLoss | LossFn;
  /** Options of {@link denoisingScoreMatching} for `loss: 'dsm'` (default `{ sigma: 0.1 }`). */
  dsm?: Omit<DenoisingScoreMatchingOptions, 'seed' | 'reduction'>;
  /** Options of {@link slicedScoreMatching} for `loss: 'ssm'`. */
  ssm?: Omit<SlicedScoreMatchingOptions, 'seed' | 'reduction'>;
  /** Options of {@link exactScoreMatching} for `loss: 'esm'`. */
  esm?: Omit<ExactScoreMatchingOptions, 'seed' | 'reduction'>;
  /**
   * Options of {@link nce} for `loss: 'nce'`. Without `noise`, a full-covariance
   * {@link gaussianNoise} is fitted to `data` (and disposed at the end); without `logZ`, a
   * scalar variable starting at 0 is created, trained and returned as `result.logZ`.
   */
  nce?: Partial<Omit<NceOptions, 'seed'>>;
  /** Training data `[N, ...]`: a tensor (not disposed) or `{ data, shape }` (as `@ebmjs/datasets` gives). */
  data: tf.Tensor | { data: Float32Array; shape: number[] };
  optimizer: tf.Optimizer;
  /** Number of optimiser steps; or give `epochs` (default 1 epoch). Not both. */
  steps?: number;
  epochs?: number;
  /** Batch size (default min(128, N)); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Seed or stream for shuffling and for the losses' probes and noise. */
  seed?: SeedOrRng;
  callbacks?: FitCallbacks | FitCallbacks[];
  /** Metrics evaluated every `metricsEvery` steps (default 10) and at the last step. */
  metrics?: Record<string, MetricFn>;
  metricsEvery?: number;
  /** Stops training (between steps) when aborted. */
  signal?: AbortSignal;
}

/** Result of {@link fitScoreMatching}. */
export interface FitResult {
  history: {
    /** Loss of every step. */
    loss: number[];
    /** Each metric's values with the steps they were taken at. */
    metrics: Record<string, Array<{ step: number; value: number }>>;
  };
  /** Steps taken. */
  steps: number;
  /** Why training ended. */
  stopReason: 'completed' | 'callback' | 'aborted';
  /** The learned log-normaliser, for `loss: 'nce'` (the variable passed in, or a new one). */
  logZ?: tf.Variable;
}

/**
 * Trains an energy with a score-matching loss (or NCE): shuffled mini-batches, one
 * `tf.variableGrads` + `optimizer.applyGradients` per step (then `model.updateSpectralNorm()` when
 * the model has it), history, metrics and callbacks.
 * Each step disposes everything it made (the tensor count stays flat). A step whose loss is
 * NaN or infinite is not applied: training stops with a `DivergenceError`, the weights keep
 * their last good values.
 */
export async function fitScoreMatching(options: FitScoreMatchingOptions): Promise<FitResult> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an options object');
  }
  const energy = options.model?.energy ?? options.energy;
  const variables = options.model?.variables ?? options.variables;
  if (typeof energy !== 'function') {
    throw new InvalidArgumentError(
      'options.model',
      'expected { energy, variables } (or options.energy)',
    );
  }
  if (!Array.isArray(variables) || !variables.every((v) => v instanceof tf.Variable)) {
    throw new InvalidArgumentError('options.variables', 'expected an array of tf.Variable');
  }
  const { loss } = options;
  if (typeof loss !== 'function' && !['dsm', 'ssm', 'esm', 'nce'].includes(loss as string)) {
    throw new InvalidArgumentError(
      'options.loss',
      `expected 'dsm', 'ssm', 'esm', 'nce' or a function, got ${String(loss)}`,
    );
  }
  if (!(options.optimizer instanceof tf.Optimizer)) {
    throw new InvalidArgumentError('options.optimizer', 'expected a tf.Optimizer');
  }
  if (options.steps !== undefined && options.epochs !== undefined) {
    throw new InvalidArgumentError('options.steps', 'give steps or epochs, not both');
  }
  if (options.steps !== undefined) assertInteger('options.steps', options.steps, 1);
  if (options.epochs !== undefined) assertInteger('options.epochs', options.epochs, 1);
  const metricsEvery = options.metricsEvery ?? 10;
  assertInteger('options.metricsEvery', metricsEvery, 1);
  const metrics = options.metrics ?? {};
  for (const [name, fn] of Object.entries(metrics)) {
    if (typeof fn !== 'function')
      throw new InvalidArgumentError(`options.metrics.${name}`, 'expected a function');
  }
  const callbacks =
    options.callbacks === undefined
      ? []
      : Array.isArray(options.callbacks)
        ? options.callbacks
        : [options.callbacks];

  let data: tf.Tensor;
  let ownsData = false;
  if (options.data instanceof tf.Tensor) {
    assertTensor('options.data', options.data);
    data = options.data;
  } else {
    const d = options.data as { data?: unknown; shape?: unknown };
    if (
      typeof d !== 'object' ||
      d === null ||
      !(d.data instanceof Float32Array) ||
      !Array.isArray(d.shape)
    ) {
      throw new InvalidArgumentError(
        'options.data',
        'expected a tf.Tensor or { data: Float32Array, shape }',
      );
    }
    const size = (d.shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== d.data.length) {
      throw new ShapeError(
        'options.data',
        `shape [${d.shape.join(', ')}] holds ${size} values, data has ${d.data.length}`,
      );
    }
    data = tf.tensor(d.data, d.shape as number[], 'float32');
    ownsData = true;
  }
  if (data.rank < 2 || data.shape[0]! < 1) {
    if (ownsData) data.dispose();
    throw new ShapeError(
      'options.data',
      `expected a batch [N, ...], got [${data.shape.join(', ')}]`,
    );
  }
  if (data.dtype !== 'float32') {
    throw new InvalidArgumentError('options.data', `expected float32 values, got ${data.dtype}`);
  }
  const n = data.shape[0]!;
  const batchSize = options.batchSize ?? Math.min(128, n);
  try {
    assertInteger('options.batchSize', batchSize, 1, n);
  } catch (e) {
    if (ownsData) data.dispose();
    throw e;
  }
  const perEpoch = Math.ceil(n / batchSize);
  const totalSteps = options.steps ?? (options.epochs ?? 1) * perEpoch;
  const rng = toRng(options.seed);
  const lossRng = rng.fork();

  const owned: Array<{ dispose(): void }> = [];
  if (ownsData) owned.push(data);
  let logZ: tf.Variable | undefined;
  let lossFn: LossFn;
  const trainVars = [...variables];
  try {
    if (typeof loss === 'function') {
      lossFn = loss;
    } else if (loss === 'dsm') {
      const o = options.dsm ?? { sigma: 0.1 };
      lossFn = (e, b, r) => denoisingScoreMatching(e, b, { ...o, seed: r });
    } else if (loss === 'ssm') {
      const o = options.ssm ?? {};
      lossFn = (e, b, r) => slicedScoreMatching(e, b, { ...o, seed: r });
    } else if (loss === 'esm') {
      const o = options.esm ?? {};
      lossFn = (e, b, r) => exactScoreMatching(e, b, { ...o, seed: r });
    } else {
      const o = options.nce ?? {};
      let noise = o.noise;
      if (noise === undefined) {
        const g = gaussianNoise(data);
        owned.push(g);
        noise = g;
      }
      if (o.logZ === undefined) {
        logZ = tf.variable(tf.scalar(0), true);
      } else if (o.logZ instanceof tf.Variable) {
        logZ = o.logZ;
      }
      if (logZ?.trainable && !trainVars.includes(logZ)) trainVars.push(logZ);
      const fixed = { noise, ratio: o.ratio ?? 1, logZ: o.logZ ?? (logZ as tf.Variable) };
      lossFn = (e, b, r) => nce(e, b, { ...fixed, seed: r });
    }

    const history: FitResult['history'] = { loss: [], metrics: {} };
    for (const name of Object.keys(metrics)) history.metrics[name] = [];
    let order = rng.permutation(n);
    let stopReason: FitResult['stopReason'] = 'completed';
    let step = 0;
    for (; step < totalSteps; step++) {
      if (options.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      const epoch = Math.floor(step / perEpoch);
      const inEpoch = step % perEpoch;
      if (inEpoch === 0 && step > 0) order = rng.permutation(n);
      const start = inEpoch * batchSize;
      const indices = order.slice(start, Math.min(start + batchSize, n));
      const batch = tf.tidy(() => tf.gather(data, tf.tensor1d(indices, 'int32')));
      let lossValue: number;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const l = lossFn(energy, batch, lossRng);
          if (!(l instanceof tf.Tensor) || l.size !== 1) {
            throw new ShapeError('options.loss', 'must return a scalar tensor');
          }
          return tf.reshape(l, []) as tf.Scalar;
        }, trainVars);
        lossValue = (await value.data())[0]!;
        value.dispose();
        if (!Number.isFinite(lossValue)) {
          tf.dispose(grads);
          throw new DivergenceError(
            `loss became ${lossValue} at step ${step}; the update was not applied`,
          );
        }
        options.optimizer.applyGradients(grads);
        tf.dispose(grads);
        options.model?.updateSpectralNorm?.();
      } catch (e) {
        batch.dispose();
        throw e;
      }
      history.loss.push(lossValue);
      const log: StepLog = { step, epoch, loss: lossValue };
      const names = Object.keys(metrics);
      if (names.length > 0 && (step % metricsEvery === 0 || step === totalSteps - 1)) {
        log.metrics = {};
        for (const name of names) {
          const r = tf.tidy(() => metrics[name]!(energy, batch));
          let v: number;
          if (typeof r === 'number') v = r;
          else {
            v = (await r.data())[0]!;
            r.dispose();
          }
          log.metrics[name] = v;
          history.metrics[name]!.push({ step, value: v });
        }
      }
      batch.dispose();
      let stop = false;
      for (const cb of callbacks) if ((await cb.onStepEnd?.(log)) === false) stop = true;
      if (inEpoch === perEpoch - 1 || step === totalSteps - 1 || stop) {
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, log);
      }
      if (stop) {
        step++;
        stopReason = 'callback';
        break;
      }
    }
    return { history, steps: step, stopReason, ...(logZ ? { logZ } : {}) };
  } finally {
    for (const o of owned) o.dispose();
  }
}
