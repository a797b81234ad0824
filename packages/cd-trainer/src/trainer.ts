/**
 * Contrastive-divergence training with a replay buffer and Langevin sampling (Du & Mordatch
 * 2019; the Keras/PyTorch "deep energy models" recipe).
 *
 * @module trainer
 */

import { type SgldOptions, sgld } from '@ebmjs/langevin';
import {
  assertInteger,
  assertNumber,
  CorruptDataError,
  DivergenceError,
  EbmError,
  InvalidArgumentError,
  NonFiniteError,
  Rng,
  ShapeError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import {
  BlobWriter,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointData,
  type CheckpointManifest,
  crc32,
  decodeSnapshot,
  type EpochAccumulator,
  type EpochRecord,
  encodeSnapshot,
  listCheckpoints,
  readCheckpoint,
  readEntry,
  resolveCheckpoint,
  type TensorEntry,
  writeCheckpoint,
} from './checkpoint.js';
import type {
  EnergyModelLike,
  ReplayBufferLike,
  SamplerFactory,
  SamplerLike,
  StepMetrics,
  TrainData,
} from './types.js';

/** Learning rate for an epoch, given the base rate. */
export type LrSchedule = (epoch: number, baseLr: number) => number;

/**
 * Step decay: `baseLr * gamma^floor(epoch / every)`. `stepDecay(0.97)` is the per-epoch decay of
 * the PyTorch/Lightning tutorial (`StepLR(step_size=1, gamma=0.97)`).
 */
export function stepDecay(gamma = 0.97, every = 1): LrSchedule {
  assertNumber('gamma', gamma);
  if (!(gamma > 0 && gamma <= 1))
    throw new InvalidArgumentError('gamma', `expected (0, 1], got ${gamma}`);
  assertInteger('every', every, 1);
  return (epoch, baseLr) => baseLr * gamma ** Math.floor(epoch / every);
}

/**
 * A sampler factory for the trainer built on `@ebmjs/langevin`'s SGLD: each training step gets
 * a fresh chain seeded from the trainer's stream. Omitted options take the book's values
 * (`stepSize: 10, noise: 0.005, gradClip: 0.03, clamp: [-1, 1]`).
 */
export function sgldSampler(options: Omit<SgldOptions, 'seed'> = {}): SamplerFactory {
  return (energy, { seed }) => sgld(energy, { ...options, seed }) as unknown as SamplerLike;
}

/** Options of {@link createCDTrainer}. */
export interface CDTrainerOptions {
  /** The energy model to train. */
  model: EnergyModelLike;
  /**
   * Sampler producing the negative samples: a factory `(energy, { seed, step }) => Sampler`
   * (recommended: the trainer seeds it from its own stream each step, so resumed runs repeat
   * exactly), or one fixed sampler object (its internal random state is not checkpointed).
   * Default: {@link sgldSampler} with the book's settings `{ stepSize: 10, noise: 0.005,
   * gradClip: 0.03 }` and the trainer's `clamp`.
   */
  sampler?: SamplerLike | SamplerFactory;
  /** Replay buffer the chains start from and are pushed back to. */
  buffer: ReplayBufferLike;
  /** Optimizer. Default `tf.train.adam(learningRate, 0.0, 0.999)` (the book's betas). */
  optimizer?: tf.Optimizer;
  /**
   * Base learning rate: default the given optimizer's own rate, else 1e-4. Used to build the
   * default Adam and by `lrSchedule`; `fit` sets it on the optimizer each epoch.
   */
  learningRate?: number;
  /** Weight of the energy regulariser `mean(E_real² + E_fake²)`. Default 0.1. */
  alpha?: number;
  /** Langevin steps per training step. Default 60. */
  steps?: number;
  /** Standard deviation of the noise added to real data. Default 0.005. */
  realNoise?: number;
  /** Clamp range of (noised) real data, or `null` for none. Default `[-1, 1]`. */
  clamp?: [number, number] | null;
  /** Clip the parameter gradient to this global L2 norm. Default: no clipping. */
  gradClipNorm?: number;
  /** Learning rate per epoch (see {@link stepDecay}). Default: constant. */
  lrSchedule?: LrSchedule;
  /** Seed of the trainer's random stream (real-data noise, sampler seeds, shuffling). */
  seed?: number;
  /**
   * Divergence threshold: a step whose |loss| or |mean energy| exceeds it is treated like a NaN
   * loss (its update is never applied). Default 1e6.
   */
  divergenceThreshold?: number;
}

/** What a callback sees after each batch. */
export interface BatchEndInfo {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  step: number;
  metrics: StepMetrics;
}

/** What a callback sees after each epoch. */
export interface EpochEndInfo {
  epoch: number;
  step: number;
  record: EpochRecord;
  trainer: CDTrainer;
}

/** Training callbacks (all optional, may be async). */
export interface Callbacks {
  onTrainBegin?(info: { epoch: number; batch: number; step: number; trainer: CDTrainer }): unknown;
  onBatchEnd?(info: BatchEndInfo): unknown;
  onEpochEnd?(info: EpochEndInfo): unknown;
  onCheckpoint?(info: { path: string; step: number }): unknown;
  onRollback?(info: {
    error: DivergenceError;
    path: string;
    step: number;
    lrScale: number;
  }): unknown;
  onTrainEnd?(info: { history: EpochRecord[]; step: number; stopped: boolean }): unknown;
}

/** Options of {@link CDTrainer.fit}. */
export interface FitOptions {
  /** Total number of epochs (a resumed run continues up to this number). */
  epochs: number;
  /** Batch size. Default 128. */
  batchSize?: number;
  callbacks?: Callbacks | Callbacks[];
  /** Held-out real data for the validation contrastive divergence at each epoch end. */
  validationData?: TrainData;
  /** Root directory for checkpoints (Node). */
  checkpointDir?: string;
  /** Checkpoint every this many steps (plus at the end). Default: at every epoch end. */
  checkpointEvery?: number;
  /** How many checkpoints to keep. Default 2 (the newest and the previous one). */
  keepCheckpoints?: number;
  /** `true` = continue from the latest checkpoint in `checkpointDir`; a path = from that one. */
  resume?: boolean | string;
  /** Stop cleanly (after the current step) when aborted. */
  signal?: AbortSignal;
  /**
   * On divergence: `'throw'` (default) stops with a {@link DivergenceError}; `'rollback'`
   * restores the last checkpoint, scales the learning rate by `rollbackLrFactor` and continues
   * (at most `maxRollbacks` times).
   */
  onDivergence?: 'throw' | 'rollback';
  rollbackLrFactor?: number;
  maxRollbacks?: number;
  /** Extra JSON stored in every checkpoint's manifest (`meta`). */
  meta?: Record<string, unknown>;
}

/** Result of {@link CDTrainer.fit}. */
export interface FitResult {
  history: EpochRecord[];
  step: number;
  /** True when stopped by the abort signal before all epochs ran. */
  stopped: boolean;
  /** Path of the last checkpoint written or restored, if any. */
  checkpoint: string | null;
}

/** A contrastive-divergence trainer. Create with {@link createCDTrainer}. */
export interface CDTrainer {
  readonly model: EnergyModelLike;
  readonly optimizer: tf.Optimizer;
  /** Current replay buffer (replaced by `restore` when the buffer restores into a new object). */
  readonly buffer: ReplayBufferLike;
  /** Number of optimizer updates done. */
  readonly stepCount: number;
  /** Per-epoch metrics so far. */
  readonly history: EpochRecord[];
  /** One training step on a real batch `[n, ...inputShape]`; one host sync. */
  step(batch: TrainData): StepMetrics;
  /** Trains for `epochs` over `data` `[N, ...inputShape]`. */
  fit(data: TrainData, options: FitOptions): Promise<FitResult>;
  /**
   * Validation contrastive divergence `mean E(noise) - mean E(real)` on held-out data, with
   * uniform noise in the clamp range (fixed seed, so values are comparable across epochs).
   * Grows as the model learns to tell data from noise.
   */
  validate(data: TrainData, batchSize?: number): number;
  /** The whole training state as a checkpoint in memory. */
  snapshot(meta?: Record<string, unknown>): Promise<CheckpointData>;
  /** Writes a checkpoint (atomically) under `root`; returns its directory. */
  save(root: string, meta?: Record<string, unknown>): Promise<string>;
  /** Restores the state from a checkpoint in memory or a path (checkpoint dir or root). */
  restore(source: CheckpointData | string): Promise<CheckpointManifest>;
  /** The random stream's state. */
  rngState(): { seed: number; counter: number };
  /** Current position in the data (epoch, batch) as stored by `fit`. */
  readonly position: { epoch: number; batch: number };
  /** The trainer's settings after defaults. */
  readonly config: {
    alpha: number;
    steps: number;
    realNoise: number;
    clamp: [number, number] | null;
    seed: number;
    baseLr: number;
  };
  /** A sampler for the model's energy (the factory called with `seed`, or the fixed sampler). */
  makeSampler(seed: number): SamplerLike;
  /** Disposes the default optimizer (if the trainer created it). The model stays. */
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------

interface HostData {
  data: Float32Array;
  n: number;
  rowSize: number;
}

function checkInputShape(name: string, shape: readonly number[], inputShape: number[]): void {
  const per = shape.slice(1);
  if (shape.length !== inputShape.length + 1 || per.some((d, i) => d !== inputShape[i])) {
    throw new ShapeError(
      name,
      `expected shape [n, ${inputShape.join(', ')}], got [${shape.join(', ')}]`,
    );
  }
  if (shape[0] === 0) throw new ShapeError(name, 'is empty (0 examples)');
}

function toHost(name: string, x: TrainData, inputShape: number[]): HostData {
  if (x instanceof tf.Tensor) {
    checkInputShape(name, x.shape, inputShape);
    const data = x.dataSync() as Float32Array;
    const host = { data: Float32Array.from(data), n: x.shape[0]!, rowSize: x.size / x.shape[0]! };
    assertHostFinite(name, host.data);
    return host;
  }
  if (!x || typeof x !== 'object' || !('data' in x) || !('shape' in x)) {
    throw new InvalidArgumentError(name, 'expected a tensor or { data, shape }');
  }
  checkInputShape(name, x.shape, inputShape);
  const size = x.shape.reduce((a, b) => a * b, 1);
  if (x.data.length !== size) {
    throw new ShapeError(
      name,
      `data has ${x.data.length} values but shape [${x.shape.join(', ')}] needs ${size}`,
    );
  }
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  assertHostFinite(name, data);
  return { data, n: x.shape[0]!, rowSize: size / x.shape[0]! };
}

function assertHostFinite(name: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new NonFiniteError(name, `contains ${data[i]} at flat index ${i}`);
    }
  }
}

/** Tensors held (one level deep, plus arrays) by a state or info object. */
function tensorsOf(v: unknown): tf.Tensor[] {
  if (v instanceof tf.Tensor) return [v];
  const out: tf.Tensor[] = [];
  if (Array.isArray(v)) for (const e of v) out.push(...tensorsOf(e));
  else if (v && typeof v === 'object') {
    for (const e of Object.values(v)) if (e instanceof tf.Tensor) out.push(e);
  }
  return out;
}

/**
 * Runs `steps` transitions of a sampler from `x0`, disposing every intermediate state and
 * diagnostic; returns the final samples (a tensor the caller owns). `x0` is not disposed.
 * With `record` it also returns copies of `x` after the given step numbers.
 */
export function runChain(
  sampler: SamplerLike,
  x0: tf.Tensor,
  steps: number,
  record?: readonly number[],
): { samples: tf.Tensor; frames: tf.Tensor[] } {
  const frames: tf.Tensor[] = [];
  const want = new Set(record ?? []);
  let state = sampler.init(x0);
  if (want.has(0)) frames.push(tf.clone(state.x));
  for (let k = 1; k <= steps; k++) {
    const [next, info] = tf.tidy(
      () => sampler.step(state) as unknown as tf.TensorContainer,
    ) as unknown as [{ x: tf.Tensor }, unknown];
    const keep = new Set(tensorsOf(next).map((t) => t.id));
    for (const t of [...tensorsOf(state), ...tensorsOf(info)]) {
      if (!keep.has(t.id) && !t.isDisposed) t.dispose();
    }
    state = next;
    if (want.has(k)) frames.push(tf.clone(state.x));
  }
  const samples = tf.clone(state.x);
  tf.dispose(tensorsOf(state));
  return { samples, frames };
}

/** Uniform [lo, hi) noise with a fixed seed (validation). */
function validationNoise(shape: number[], clamp: [number, number] | null, seed: number): tf.Tensor {
  const [lo, hi] = clamp ?? [-1, 1];
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

/** Seed of the data shuffle of one epoch: a pure function of (trainer seed, epoch). */
function epochSeed(seed: number, epoch: number): number {
  let z = (seed ^ Math.imul(epoch + 0x632be5ab, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  accumulatedFirstMoment?: { variable: tf.Variable }[];
  accumulatedSecondMoment?: { variable: tf.Variable }[];
  learningRate?: number;
}

function zeroSums(): EpochAccumulator['sums'] {
  return { loss: 0, reg: 0, cdiv: 0, real: 0, fake: 0, gradNorm: 0 };
}

/**
 * Creates a contrastive-divergence trainer.
 *
 * The step (Du & Mordatch 2019, as in the Keras and UvA deep-learning tutorials):
 * 1. add N(0, `realNoise`²) noise to the real batch and clamp it;
 * 2. draw starting points from the replay buffer (~5% fresh noise), run the sampler `steps`
 *    times, push the result back into the buffer;
 * 3. minimise `loss = mean(E_real) - mean(E_fake) + alpha * mean(E_real² + E_fake²)`.
 *
 * Sign convention: ebmjs energies are low for likely data, p(x) ∝ exp(-E(x)). The book's
 * network outputs a score s(x) = -E(x) and minimises `mean(s_fake) - mean(s_real) + alpha *
 * mean(s_real² + s_fake²)`; substituting s = -E gives exactly the loss above (the squares do not
 * see the sign), so both push real energies down and sample energies up.
 *
 * A step whose loss is NaN/Inf or whose |loss| exceeds `divergenceThreshold` throws a
 * {@link DivergenceError} before the update is applied, so weights, optimizer state and buffer
 * keep their last good values.
 */
export function createCDTrainer(options: CDTrainerOptions): CDTrainer {
  if (!options || typeof options !== 'object') {
    throw new InvalidArgumentError('options', 'expected { model, sampler, buffer, ... }');
  }
  const { model, buffer: buffer0 } = options;
  if (!model || typeof model.energy !== 'function' || !Array.isArray(model.variables)) {
    throw new InvalidArgumentError(
      'options.model',
      'expected an energy model { energy, variables, inputShape }',
    );
  }
  if (
    !Array.isArray(model.inputShape) ||
    model.inputShape.some((d) => !Number.isInteger(d) || d < 1)
  ) {
    throw new InvalidArgumentError(
      'options.model.inputShape',
      'expected an array of positive integers',
    );
  }
  if (model.variables.length === 0) {
    throw new InvalidArgumentError(
      'options.model.variables',
      'the model has no trainable variables',
    );
  }
  const clampOpt = options.clamp === undefined ? ([-1, 1] as [number, number]) : options.clamp;
  const samplerOpt = options.sampler ?? sgldSampler({ clamp: clampOpt });
  const samplerIsFactory = typeof samplerOpt === 'function';
  if (
    !samplerIsFactory &&
    (!samplerOpt || typeof samplerOpt.init !== 'function' || typeof samplerOpt.step !== 'function')
  ) {
    throw new InvalidArgumentError(
      'options.sampler',
      'expected a sampler { init, step } or a factory (energy) => sampler',
    );
  }
  if (!buffer0 || typeof buffer0.sample !== 'function' || typeof buffer0.push !== 'function') {
    throw new InvalidArgumentError('options.buffer', 'expected a replay buffer { sample, push }');
  }
  const alpha = options.alpha ?? 0.1;
  assertNumber('options.alpha', alpha);
  if (alpha < 0) throw new InvalidArgumentError('options.alpha', `expected >= 0, got ${alpha}`);
  const steps = options.steps ?? 60;
  assertInteger('options.steps', steps, 0);
  const realNoise = options.realNoise ?? 0.005;
  assertNumber('options.realNoise', realNoise);
  if (realNoise < 0)
    throw new InvalidArgumentError('options.realNoise', `expected >= 0, got ${realNoise}`);
  const clamp = clampOpt;
  if (clamp !== null && (!Array.isArray(clamp) || clamp.length !== 2 || !(clamp[0] < clamp[1]))) {
    throw new InvalidArgumentError('options.clamp', 'expected [lo, hi] with lo < hi, or null');
  }
  // a caller's optimizer keeps its own rate unless learningRate is given too
  const optimizerLr = (options.optimizer as unknown as AdamInternals | undefined)?.learningRate;
  const baseLr = options.learningRate ?? (typeof optimizerLr === 'number' ? optimizerLr : 1e-4);
  assertNumber('options.learningRate', baseLr);
  if (!(baseLr > 0))
    throw new InvalidArgumentError('options.learningRate', `expected > 0, got ${baseLr}`);
  const gradClipNorm = options.gradClipNorm;
  if (gradClipNorm !== undefined && !(gradClipNorm > 0)) {
    throw new InvalidArgumentError('options.gradClipNorm', `expected > 0, got ${gradClipNorm}`);
  }
  const threshold = options.divergenceThreshold ?? 1e6;
  if (!(threshold > 0)) {
    throw new InvalidArgumentError('options.divergenceThreshold', `expected > 0, got ${threshold}`);
  }
  // the data shuffle and validation noise derive from the seed; a restored checkpoint brings
  // its own seed so that a resumed run sees the same batches
  let seed = options.seed ?? Math.floor(Math.random() * 0xffffffff);
  assertInteger('options.seed', seed, 0, 0xffffffff);
  const schedule = options.lrSchedule;
  if (schedule !== undefined && typeof schedule !== 'function') {
    throw new InvalidArgumentError(
      'options.lrSchedule',
      'expected a function (epoch, baseLr) => lr',
    );
  }
  const ownOptimizer = options.optimizer === undefined;
  const optimizer = options.optimizer ?? tf.train.adam(baseLr, 0.0, 0.999);
  const inputShape = [...model.inputShape];

  let rng = new Rng(seed);
  let buffer = buffer0;
  let stepCount = 0;
  let lrScale = 1;
  let rollbacks = 0;
  let history: EpochRecord[] = [];
  let epochAccum: EpochAccumulator | null = null;
  let position = { epoch: 0, batch: 0 };
  const lrFor = (epoch: number) => (schedule ? schedule(epoch, baseLr) : baseLr) * lrScale;
  let currentLr = lrFor(0);

  function setLr(lr: number): void {
    (optimizer as unknown as AdamInternals).learningRate = lr;
    currentLr = lr;
  }

  function batchTensor(batch: TrainData): { t: tf.Tensor; owned: boolean } {
    if (batch instanceof tf.Tensor) {
      checkInputShape('batch', batch.shape, inputShape);
      return { t: batch, owned: false };
    }
    const host = toHost('batch', batch, inputShape);
    return { t: tf.tensor(host.data, [host.n, ...inputShape]), owned: true };
  }

  function step(batch: TrainData): StepMetrics {
    const { t: real0, owned } = batchTensor(batch);
    if (!owned) {
      // a tensor batch: one small reduction to refuse NaN data before any work
      const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(real0))).dataSync()[0]);
      if (bad) throw new NonFiniteError('batch', 'contains NaN or Inf values');
    }
    const n = real0.shape[0]!;
    const k = stepCount + 1;
    let fake: tf.Tensor | null = null;
    let real: tf.Tensor | null = null;
    let grads: tf.Tensor[] = [];
    let values: Float32Array;
    try {
      real = tf.tidy(() => {
        let r =
          realNoise > 0 ? tf.add(real0, rng.normal(real0.shape, 0, realNoise)) : tf.clone(real0);
        if (clamp) r = tf.clipByValue(r, clamp[0], clamp[1]);
        return r;
      });
      const sampler = samplerIsFactory
        ? (samplerOpt as SamplerFactory)(model.energy, { seed: rng.nextSeed(), step: k })
        : (samplerOpt as SamplerLike);
      const x0 = buffer.sample(n);
      try {
        fake = runChain(sampler, x0, steps).samples;
      } finally {
        x0.dispose();
      }
      const realT = real;
      const fakeT = fake;
      const out = tf.tidy(() => {
        let parts: tf.Scalar[] = [];
        const { value, grads: g } = optimizer.computeGradients(() => {
          const e = model.energy(tf.concat([realT, fakeT], 0));
          const eReal = tf.slice(e, [0], [n]);
          const eFake = tf.slice(e, [n], [n]);
          const realMean = tf.mean(eReal);
          const fakeMean = tf.mean(eFake);
          const cdiv = tf.sub(realMean, fakeMean);
          const reg = tf.mul(alpha, tf.mean(tf.add(tf.square(eReal), tf.square(eFake))));
          parts = [reg, cdiv, realMean, fakeMean].map((p) => tf.keep(p as tf.Scalar));
          return tf.add(cdiv, reg) as tf.Scalar;
        }, model.variables);
        const ordered = model.variables.map((v) => {
          const gi = g[v.name];
          if (!gi) {
            throw new InvalidArgumentError(
              'options.model.variables',
              `variable '${v.name}' gets no gradient from the energy`,
            );
          }
          return gi;
        });
        const norm = tf.sqrt(tf.addN(ordered.map((gi) => tf.sum(tf.square(gi)))));
        const clipped =
          gradClipNorm === undefined
            ? ordered
            : ordered.map((gi) =>
                tf.mul(gi, tf.minimum(1, tf.div(gradClipNorm, tf.add(norm, 1e-12)))),
              );
        const stacked = tf.stack([value, ...parts, norm]);
        tf.dispose(parts);
        return { stacked, clipped };
      });
      grads = out.clipped;
      // the one host sync of the step, after the tidy
      values = out.stacked.dataSync() as Float32Array;
      out.stacked.dispose();
    } catch (err) {
      tf.dispose([fake, real, ...grads].filter((t): t is tf.Tensor => t !== null));
      if (owned) real0.dispose();
      throw err;
    }
    const [loss, reg, cdiv, realE, fakeE, gradNorm] = Array.from(values) as number[];
    const metrics: StepMetrics = {
      loss: loss!,
      reg: reg!,
      cdiv: cdiv!,
      real: realE!,
      fake: fakeE!,
      gradNorm: gradNorm!,
      lr: currentLr,
    };
    const bad =
      !Number.isFinite(metrics.loss) ||
      !Number.isFinite(metrics.gradNorm) ||
      Math.abs(metrics.loss) > threshold ||
      Math.abs(metrics.real) > threshold ||
      Math.abs(metrics.fake) > threshold;
    if (bad) {
      tf.dispose([fake!, real!, ...grads]);
      if (owned) real0.dispose();
      throw new DivergenceError(
        `training diverged at step ${k}: loss=${metrics.loss}, E_real=${metrics.real}, ` +
          `E_fake=${metrics.fake}, |grad|=${metrics.gradNorm} (threshold ${threshold}); ` +
          'the update was not applied',
      );
    }
    optimizer.applyGradients(model.variables.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
    buffer.push(fake!);
    tf.dispose([fake!, real!, ...grads]);
    if (owned) real0.dispose();
    stepCount = k;
    return metrics;
  }

  function validate(data: TrainData, batchSize = 256): number {
    const host = toHost('validationData', data, inputShape);
    assertInteger('batchSize', batchSize, 1);
    let sumNoise = 0;
    let sumReal = 0;
    for (let i = 0; i < host.n; i += batchSize) {
      const m = Math.min(batchSize, host.n - i);
      const s = tf.tidy(() => {
        const x = tf.tensor(host.data.subarray(i * host.rowSize, (i + m) * host.rowSize), [
          m,
          ...inputShape,
        ]);
        const noise = validationNoise([m, ...inputShape], clamp, (seed + 7919 * (i + 1)) >>> 0);
        return tf.stack([tf.sum(model.energy(noise)), tf.sum(model.energy(x))]);
      });
      const [a, b] = s.dataSync();
      s.dispose();
      sumNoise += a!;
      sumReal += b!;
    }
    return sumNoise / host.n - sumReal / host.n;
  }

  async function snapshot(meta: Record<string, unknown> = {}): Promise<CheckpointData> {
    const w = new BlobWriter();
    const modelEntries: TensorEntry[] = [];
    for (const [i, v] of model.variables.entries()) {
      modelEntries.push(w.add(`model/${i}`, [...v.shape], (await v.data()) as Float32Array));
    }
    const optEntries: TensorEntry[] = [];
    const named = await optimizer.getWeights();
    for (const [i, nt] of named.entries()) {
      const data = await nt.tensor.data();
      optEntries.push(
        w.add(
          `optimizer/${i}/${nt.name}`,
          [...nt.tensor.shape],
          nt.tensor.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data),
        ),
      );
    }
    // getWeights() creates a fresh 'iter' scalar each call; the moments are the live variables
    for (const nt of named) if (!(nt.tensor instanceof tf.Variable)) nt.tensor.dispose();
    const internals = optimizer as unknown as AdamInternals;
    const extra: Record<string, number> = {};
    if (internals.accBeta1 instanceof tf.Variable)
      extra.accBeta1 = (await internals.accBeta1.data())[0]!;
    if (internals.accBeta2 instanceof tf.Variable)
      extra.accBeta2 = (await internals.accBeta2.data())[0]!;
    let bufferPart: CheckpointManifest['buffer'] = null;
    const ser = (buffer as unknown as { serialize?: () => unknown }).serialize;
    if (typeof ser === 'function') {
      const raw = await ser.call(buffer);
      const entries: TensorEntry[] = [];
      bufferPart = { snapshot: encodeSnapshot(await hostify(raw), w, entries), tensors: entries };
    }
    const blob = w.finish();
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      createdAt: new Date().toISOString(),
      position: { step: stepCount, epoch: position.epoch, batch: position.batch },
      rng: rng.getState(),
      lrScale,
      rollbacks,
      trainer: { alpha, steps, realNoise, clamp, seed, baseLr },
      history: history.map((h) => ({ ...h })),
      epochAccum: epochAccum ? { count: epochAccum.count, sums: { ...epochAccum.sums } } : null,
      model: {
        config: (model.config as object | undefined) ?? null,
        inputShape,
        tensors: modelEntries,
      },
      optimizer: { className: optimizer.getClassName(), tensors: optEntries, extra },
      buffer: bufferPart,
      meta,
      blob: { bytes: blob.byteLength, crc32: crc32(blob) },
    };
    return { manifest, blob };
  }

  async function restore(source: CheckpointData | string): Promise<CheckpointManifest> {
    const data = typeof source === 'string' ? await readCheckpoint(source) : source;
    const where =
      typeof source === 'string' ? (data as unknown as { path: string }).path : 'checkpoint';
    const m = data.manifest;
    // validate everything before touching any state
    if (m.model.tensors.length !== model.variables.length) {
      throw new CorruptDataError(
        `${where}: checkpoint has ${m.model.tensors.length} model tensors, the model has ${model.variables.length} variables`,
      );
    }
    const weights = m.model.tensors.map((e, i) => {
      const v = model.variables[i]!;
      if (e.shape.length !== v.shape.length || e.shape.some((d, j) => d !== v.shape[j])) {
        throw new ShapeError(
          'checkpoint',
          `model tensor ${i} has shape [${e.shape}], the model's variable has [${v.shape}]`,
        );
      }
      return readEntry(data.blob, e, where);
    });
    const optValues = m.optimizer.tensors.map((e) => ({
      e,
      values: readEntry(data.blob, e, where),
    }));
    if (m.optimizer.className !== optimizer.getClassName()) {
      throw new CorruptDataError(
        `${where}: optimizer state is for ${m.optimizer.className}, the trainer uses ${optimizer.getClassName()}`,
      );
    }
    let newBuffer: ReplayBufferLike | null = null;
    if (m.buffer) {
      const snap = decodeSnapshot(m.buffer.snapshot, data.blob, m.buffer.tensors, where);
      const inst = buffer as unknown as { restore?: (s: unknown) => unknown };
      const ctor = (buffer as unknown as { constructor: { restore?: (s: unknown) => unknown } })
        .constructor;
      if (typeof ctor?.restore === 'function') {
        newBuffer = (await ctor.restore(snap)) as ReplayBufferLike;
      } else if (typeof inst.restore === 'function') {
        await inst.restore(snap);
      } else {
        throw new CorruptDataError(
          `${where}: checkpoint has a buffer snapshot but the buffer cannot restore one`,
        );
      }
    }
    // apply
    for (const [i, v] of model.variables.entries()) {
      const t = tf.tensor(weights[i]!, v.shape, v.dtype);
      v.assign(t);
      t.dispose();
    }
    const internals = optimizer as unknown as AdamInternals;
    tf.dispose([
      ...(internals.accumulatedFirstMoment ?? []).map((o) => o.variable),
      ...(internals.accumulatedSecondMoment ?? []).map((o) => o.variable),
    ]);
    const tensors = optValues.map(({ e, values }) => ({
      name: e.name.replace(/^optimizer\/\d+\//, ''),
      tensor: tf.tensor(values, e.shape, e.dtype),
    }));
    if (tensors.length > 0) await optimizer.setWeights(tensors);
    tf.dispose(tensors.map((t) => t.tensor));
    if (internals.accBeta1 instanceof tf.Variable && m.optimizer.extra.accBeta1 !== undefined) {
      internals.accBeta1.assign(tf.scalar(m.optimizer.extra.accBeta1));
    }
    if (internals.accBeta2 instanceof tf.Variable && m.optimizer.extra.accBeta2 !== undefined) {
      internals.accBeta2.assign(tf.scalar(m.optimizer.extra.accBeta2));
    }
    if (newBuffer) {
      const old = buffer as unknown as { dispose?: () => void };
      if (old !== (newBuffer as unknown) && typeof old.dispose === 'function') old.dispose();
      buffer = newBuffer;
    }
    rng = Rng.fromState(m.rng);
    seed = m.trainer.seed;
    api.config.seed = seed;
    stepCount = m.position.step;
    position = { epoch: m.position.epoch, batch: m.position.batch };
    lrScale = m.lrScale;
    rollbacks = m.rollbacks;
    history = m.history.map((h) => ({ ...h }));
    epochAccum = m.epochAccum
      ? { count: m.epochAccum.count, sums: { ...m.epochAccum.sums } }
      : null;
    return m;
  }

  async function fit(data: TrainData, opts: FitOptions): Promise<FitResult> {
    if (!opts || typeof opts !== 'object')
      throw new InvalidArgumentError('options', 'expected { epochs, ... }');
    assertInteger('options.epochs', opts.epochs, 1);
    const batchSize = opts.batchSize ?? 128;
    assertInteger('options.batchSize', batchSize, 1);
    if (opts.checkpointEvery !== undefined)
      assertInteger('options.checkpointEvery', opts.checkpointEvery, 1);
    const onDivergence = opts.onDivergence ?? 'throw';
    if (onDivergence !== 'throw' && onDivergence !== 'rollback') {
      throw new InvalidArgumentError(
        'options.onDivergence',
        `expected 'throw' or 'rollback', got ${String(onDivergence)}`,
      );
    }
    if (
      (onDivergence === 'rollback' || opts.resume) &&
      !opts.checkpointDir &&
      typeof opts.resume !== 'string'
    ) {
      throw new InvalidArgumentError(
        'options.checkpointDir',
        'is required for resume and rollback',
      );
    }
    const rollbackLrFactor = opts.rollbackLrFactor ?? 0.5;
    const maxRollbacks = opts.maxRollbacks ?? 3;
    const host = toHost('data', data, inputShape);
    const valHost = opts.validationData
      ? toHost('validationData', opts.validationData, inputShape)
      : null;
    const cbs =
      opts.callbacks === undefined
        ? []
        : Array.isArray(opts.callbacks)
          ? opts.callbacks
          : [opts.callbacks];
    const bs = Math.min(batchSize, host.n);
    const nb = Math.floor(host.n / bs);
    const meta = opts.meta ?? {};
    let lastCheckpoint: string | null = null;

    const call = async <K extends keyof Callbacks>(
      name: K,
      info: Parameters<NonNullable<Callbacks[K]>>[0],
    ) => {
      for (const cb of cbs) {
        const f = cb[name] as ((i: unknown) => unknown) | undefined;
        if (f) await f.call(cb, info);
      }
    };
    const checkpoint = async () => {
      if (!opts.checkpointDir) return;
      const snap = await snapshot(meta);
      lastCheckpoint = await writeCheckpoint(opts.checkpointDir, snap, {
        keep: opts.keepCheckpoints ?? 2,
      });
      await call('onCheckpoint', { path: lastCheckpoint, step: stepCount });
    };

    if (opts.resume) {
      const src = typeof opts.resume === 'string' ? opts.resume : opts.checkpointDir!;
      await restore(src);
      lastCheckpoint = await resolveCheckpoint(src);
    } else {
      if (opts.checkpointDir && (await listCheckpoints(opts.checkpointDir)).length > 0) {
        throw new InvalidArgumentError(
          'options.checkpointDir',
          `${opts.checkpointDir} already holds checkpoints; pass resume: true to continue that run or use an empty directory`,
        );
      }
      position = { epoch: 0, batch: 0 };
      epochAccum = null;
    }
    await call('onTrainBegin', {
      epoch: position.epoch,
      batch: position.batch,
      step: stepCount,
      trainer: api,
    });

    let stopped = false;
    let perm: Int32Array | null = null;
    let permEpoch = -1;
    const rowBuf = new Float32Array(bs * host.rowSize);
    outer: while (position.epoch < opts.epochs) {
      const epoch = position.epoch;
      setLr(lrFor(epoch));
      if (permEpoch !== epoch) {
        perm = new Rng(epochSeed(seed, epoch)).permutation(host.n);
        permEpoch = epoch;
      }
      epochAccum ??= { count: 0, sums: zeroSums() };
      while (position.batch < nb) {
        if (opts.signal?.aborted) {
          stopped = true;
          break outer;
        }
        const b = position.batch;
        for (let r = 0; r < bs; r++) {
          const src = perm![b * bs + r]! * host.rowSize;
          rowBuf.set(host.data.subarray(src, src + host.rowSize), r * host.rowSize);
        }
        let metrics: StepMetrics;
        try {
          metrics = step({ data: rowBuf, shape: [bs, ...inputShape] });
        } catch (err) {
          if (!(err instanceof DivergenceError) || onDivergence !== 'rollback') throw err;
          // only roll back to a checkpoint of this run (written or resumed from)
          const found = lastCheckpoint !== null;
          if (!found || rollbacks >= maxRollbacks) {
            throw new DivergenceError(
              `${err.message}; ${found ? `gave up after ${rollbacks} roll-back(s)` : 'no checkpoint to roll back to'}`,
              { cause: err },
            );
          }
          const nextRollbacks = rollbacks + 1;
          const nextScale = lrScale * rollbackLrFactor;
          await restore(lastCheckpoint!);
          rollbacks = nextRollbacks;
          lrScale = nextScale;
          await call('onRollback', {
            error: err,
            path: lastCheckpoint ?? '',
            step: stepCount,
            lrScale,
          });
          continue outer;
        }
        const acc = epochAccum!;
        acc.count++;
        acc.sums.loss += metrics.loss;
        acc.sums.reg += metrics.reg;
        acc.sums.cdiv += metrics.cdiv;
        acc.sums.real += metrics.real;
        acc.sums.fake += metrics.fake;
        acc.sums.gradNorm += metrics.gradNorm;
        position = { epoch, batch: b + 1 };
        await call('onBatchEnd', {
          epoch,
          batch: b,
          batchesPerEpoch: nb,
          step: stepCount,
          metrics,
        });
        if (
          opts.checkpointEvery !== undefined &&
          stepCount % opts.checkpointEvery === 0 &&
          b + 1 < nb
        ) {
          await checkpoint();
        }
        // let timers, I/O and abort signals through between steps
        await new Promise((r) => setTimeout(r, 0));
      }
      const acc = epochAccum!;
      const c = Math.max(1, acc.count);
      const record: EpochRecord = {
        epoch,
        step: stepCount,
        loss: acc.sums.loss / c,
        reg: acc.sums.reg / c,
        cdiv: acc.sums.cdiv / c,
        real: acc.sums.real / c,
        fake: acc.sums.fake / c,
        gradNorm: acc.sums.gradNorm / c,
        lr: currentLr,
      };
      if (valHost) {
        record.valCdiv = validate(
          { data: valHost.data, shape: [valHost.n, ...inputShape] },
          Math.max(bs, 64),
        );
      }
      history.push(record);
      epochAccum = null;
      position = { epoch: epoch + 1, batch: 0 };
      await call('onEpochEnd', { epoch, step: stepCount, record, trainer: api });
      const last = epoch + 1 >= opts.epochs;
      if (opts.checkpointEvery === undefined || last || stepCount % opts.checkpointEvery === 0) {
        await checkpoint();
      }
    }
    await call('onTrainEnd', { history, step: stepCount, stopped });
    return { history, step: stepCount, stopped, checkpoint: lastCheckpoint };
  }

  const api: CDTrainer = {
    model,
    optimizer,
    get buffer() {
      return buffer;
    },
    get stepCount() {
      return stepCount;
    },
    get history() {
      return history;
    },
    get position() {
      return { ...position };
    },
    step,
    fit,
    validate,
    snapshot,
    async save(root: string, meta: Record<string, unknown> = {}) {
      return writeCheckpoint(root, await snapshot(meta));
    },
    restore,
    rngState: () => rng.getState(),
    config: { alpha, steps, realNoise, clamp, seed, baseLr },
    makeSampler: (s: number) =>
      samplerIsFactory
        ? (samplerOpt as SamplerFactory)(model.energy, { seed: s >>> 0, step: stepCount })
        : (samplerOpt as SamplerLike),
    dispose() {
      if (ownOptimizer) optimizer.dispose();
    },
  };
  return api;
}

/** Turns tensors inside a buffer snapshot into typed arrays (awaiting their data). */
async function hostify(v: unknown): Promise<unknown> {
  if (v instanceof tf.Tensor)
    return v.dtype === 'int32'
      ? Int32Array.from(await v.data())
      : Float32Array.from(await v.data());
  if (ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return Promise.all(v.map(hostify));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = await hostify(e);
    return out;
  }
  return v;
}

/**
 * Loads only the model weights of a checkpoint (directory, root with `latest.json`, or data in
 * memory) into `model`, e.g. to sample from a trained model without a trainer. Checks the
 * number and shapes of the tensors first; nothing changes on a mismatch.
 */
export async function restoreWeights(
  model: EnergyModelLike,
  source: CheckpointData | string,
): Promise<CheckpointManifest> {
  const data = typeof source === 'string' ? await readCheckpoint(source) : source;
  const m = data.manifest;
  if (m.model.tensors.length !== model.variables.length) {
    throw new CorruptDataError(
      `checkpoint has ${m.model.tensors.length} model tensors, the model has ${model.variables.length} variables`,
    );
  }
  const values = m.model.tensors.map((e, i) => {
    const v = model.variables[i]!;
    if (e.shape.length !== v.shape.length || e.shape.some((d, j) => d !== v.shape[j])) {
      throw new ShapeError(
        'checkpoint',
        `model tensor ${i} has shape [${e.shape}], the model's variable has [${v.shape}]`,
      );
    }
    return readEntry(data.blob, e, 'checkpoint');
  });
  for (const [i, v] of model.variables.entries()) {
    const t = tf.tensor(values[i]!, v.shape, v.dtype);
    v.assign(t);
    t.dispose();
  }
  return m;
}

/** True for errors thrown on purpose by ebmjs (re-exported for CLI error handling). */
export function isEbmError(e: unknown): e is EbmError {
  return e instanceof EbmError;
}
