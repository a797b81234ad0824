/**
 * Mini-batches over in-memory arrays, without copying the data set.
 *
 * In order (`shuffle: false`) every batch is a `subarray` view of the data set; shuffled, every
 * batch is gathered into one buffer that is allocated once per iterator and **reused**: a
 * yielded batch is valid until the iterator advances (turn it into a tensor — `tf.tensor`
 * copies — or copy it before asking for the next one).
 *
 * @module batches
 */
import { checkInt, checkOptions, DatasetError, invalid } from './errors.js';
import { createRng, deriveSeed, shuffleInPlace } from './random.js';

/** Any numeric typed array. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array;

/** What {@link batches} iterates over: `shape[0]` examples of `shape.slice(1)` each. */
export interface ArrayDataset<
  T extends NumericArray = Float32Array,
  L extends NumericArray = NumericArray,
> {
  data: T;
  shape: readonly number[];
  /** Optional per-example labels: `n` values, or `n × k` (e.g. one-hot), kept in step with data. */
  labels?: L | undefined;
}

/** One mini-batch. */
export interface Batch<
  T extends NumericArray = Float32Array,
  L extends NumericArray = NumericArray,
> {
  /** `size × rowSize` values: a view of the data set, or of the reused shuffle buffer. */
  data: T;
  /** `[size, ...shape.slice(1)]`: pass to `tf.tensor(batch.data, batch.shape)`. */
  shape: number[];
  /** Labels of the batch (same kind of view), when the data set has labels. */
  labels?: L;
  /** Dataset indices of the examples in this batch (a view; do not modify). */
  indices: Int32Array;
  /** Number of examples in this batch. */
  size: number;
  /** Position of this batch within its epoch (0-based). */
  index: number;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Examples per batch (integer ≥ 1). */
  batchSize: number;
  /** Visit examples in a seeded random order. Default `false`. */
  shuffle?: boolean;
  /** Seed of the order; required when `shuffle` is true. */
  seed?: number;
  /** Which epoch's order to use (default 0): epoch k of seed s is always the same permutation. */
  epoch?: number;
  /** Skip the last batch when it is smaller than `batchSize`. Default `false`. */
  dropLast?: boolean;
}

interface Plan {
  n: number;
  row: number;
  labelRow: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
}

function plan(dataset: ArrayDataset<NumericArray, NumericArray>, opts: BatchOptions): Plan {
  if (dataset === null || typeof dataset !== 'object')
    invalid('dataset', 'an object { data, shape }', dataset);
  const { data, shape, labels } = dataset;
  if (!ArrayBuffer.isView(data) || data instanceof DataView)
    invalid('dataset.data', 'a typed array', data);
  if (
    !Array.isArray(shape) ||
    shape.length < 1 ||
    !shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    invalid('dataset.shape', 'an array of non-negative integers [n, ...]', shape);
  }
  const n = shape[0]!;
  if (n < 1) invalid('dataset.shape[0]', 'at least one example', n);
  const row = shape.slice(1).reduce((a, b) => a * b, 1);
  if (data.length !== n * row) {
    throw new DatasetError(
      'E_SHAPE',
      `dataset.data: shape [${shape.join(', ')}] needs ${n * row} values, got ${data.length}`,
      { argument: 'dataset.data' },
    );
  }
  let labelRow = 0;
  if (labels !== undefined) {
    if (!ArrayBuffer.isView(labels) || labels instanceof DataView)
      invalid('dataset.labels', 'a typed array', labels);
    if (labels.length === 0 || labels.length % n !== 0) {
      throw new DatasetError(
        'E_SHAPE',
        `dataset.labels: expected ${n} labels (or a multiple of ${n}), got ${labels.length}`,
        { argument: 'dataset.labels' },
      );
    }
    labelRow = labels.length / n;
  }
  const o = checkOptions('options', opts);
  if (opts === undefined) invalid('options', 'an options object with batchSize', opts);
  const batchSize = checkInt('options.batchSize', o.batchSize, 1);
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean')
    invalid('options.shuffle', 'a boolean', o.shuffle);
  if (o.dropLast !== undefined && typeof o.dropLast !== 'boolean')
    invalid('options.dropLast', 'a boolean', o.dropLast);
  const shuffle = o.shuffle ?? false;
  const dropLast = o.dropLast ?? false;
  let seed = 0;
  if (shuffle) {
    if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) {
      invalid('options.seed', 'an integer (required when shuffle is true)', o.seed);
    }
    const epoch = o.epoch === undefined ? 0 : checkInt('options.epoch', o.epoch, 0);
    seed = deriveSeed(o.seed, epoch);
  } else if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isInteger(o.seed))) {
    invalid('options.seed', 'an integer', o.seed);
  }
  if (dropLast && batchSize > n) {
    invalid(
      'options.batchSize',
      `at most ${n} (the data set size) when dropLast is true`,
      batchSize,
    );
  }
  return { n, row, labelRow, batchSize, shuffle, seed, dropLast };
}

/** Number of batches one epoch yields. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  checkInt('n', n, 0);
  checkInt('batchSize', batchSize, 1);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

interface Buffers {
  data?: NumericArray;
  labels?: NumericArray;
}

function* iterate<T extends NumericArray, L extends NumericArray>(
  dataset: ArrayDataset<T, L>,
  p: Plan,
  buffers: Buffers,
): Generator<Batch<T, L>, void, undefined> {
  const { n, row, labelRow, batchSize } = p;
  const { data, labels, shape } = dataset;
  const tail = shape.slice(1);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (p.shuffle) {
    shuffleInPlace(order, createRng(p.seed));
    const Ctor = data.constructor as new (len: number) => T;
    buffers.data ??= new Ctor(Math.min(batchSize, n) * row);
    if (labels !== undefined) {
      const LCtor = labels.constructor as new (len: number) => L;
      buffers.labels ??= new LCtor(Math.min(batchSize, n) * labelRow);
    }
  }
  const count = batchCount(n, batchSize, p.dropLast);
  for (let b = 0; b < count; b++) {
    const start = b * batchSize;
    const size = Math.min(batchSize, n - start);
    const indices = order.subarray(start, start + size);
    let bd: T;
    let bl: L | undefined;
    if (!p.shuffle) {
      bd = data.subarray(start * row, (start + size) * row) as T;
      bl = labels?.subarray(start * labelRow, (start + size) * labelRow) as L | undefined;
    } else {
      const buf = buffers.data as T;
      for (let k = 0; k < size; k++) {
        const j = indices[k]!;
        if (row === 1) buf[k] = data[j]!;
        else buf.set(data.subarray(j * row, (j + 1) * row), k * row);
      }
      bd = buf.subarray(0, size * row) as T;
      if (labels !== undefined) {
        const lb = buffers.labels as L;
        for (let k = 0; k < size; k++) {
          const j = indices[k]!;
          if (labelRow === 1) lb[k] = labels[j]!;
          else lb.set(labels.subarray(j * labelRow, (j + 1) * labelRow), k * labelRow);
        }
        bl = lb.subarray(0, size * labelRow) as L;
      }
    }
    const batch: Batch<T, L> = { data: bd, shape: [size, ...tail], indices, size, index: b };
    if (bl !== undefined) batch.labels = bl;
    yield batch;
  }
}

/**
 * Iterates over one epoch of mini-batches. Options are checked when you call it (not on the first
 * `next()`), and the same seed and epoch always give the same batches.
 *
 * Memory: without shuffling, batches are views of `dataset.data`; with shuffling, one buffer of
 * `batchSize` examples is reused for every batch — consume (or copy) a batch before advancing.
 *
 * @example
 * ```ts
 * for (const batch of batches(mnist, { batchSize: 128, shuffle: true, seed: 1 })) {
 *   const x = tf.tensor(batch.data, batch.shape); // copies the batch
 *   ...
 * }
 * ```
 */
export function batches<T extends NumericArray, L extends NumericArray = NumericArray>(
  dataset: ArrayDataset<T, L>,
  opts: BatchOptions,
): IterableIterator<Batch<T, L>> {
  const p = plan(dataset as ArrayDataset<NumericArray, NumericArray>, opts);
  return iterate(dataset, p, {});
}

/** Options of {@link epochs}. */
export interface EpochOptions extends Omit<BatchOptions, 'epoch'> {
  /** Number of epochs (integer ≥ 1). */
  epochs: number;
  /** First epoch (default 0), e.g. to resume a run: epoch k has the same order as in a full run. */
  startEpoch?: number;
}

/** A batch tagged with its place in a multi-epoch run. */
export interface EpochBatch<
  T extends NumericArray = Float32Array,
  L extends NumericArray = NumericArray,
> extends Batch<T, L> {
  /** Epoch number (starting at `startEpoch`). */
  epoch: number;
  /** Global step: batches yielded before this one, counting from epoch 0. */
  step: number;
  /** Batches per epoch. */
  batchesPerEpoch: number;
}

/**
 * Iterates over several epochs, each with its own seeded order (epoch k of a seed is the same
 * permutation as `batches(..., { seed, epoch: k })`). One shuffle buffer serves the whole run.
 */
export function epochs<T extends NumericArray, L extends NumericArray = NumericArray>(
  dataset: ArrayDataset<T, L>,
  opts: EpochOptions,
): IterableIterator<EpochBatch<T, L>> {
  const o = checkOptions('options', opts);
  if (opts === undefined) invalid('options', 'an options object with epochs and batchSize', opts);
  const total = checkInt('options.epochs', o.epochs, 1);
  const first = o.startEpoch === undefined ? 0 : checkInt('options.startEpoch', o.startEpoch, 0);
  const plans: Plan[] = [];
  for (let e = first; e < first + total; e++) {
    plans.push(plan(dataset as ArrayDataset<NumericArray, NumericArray>, { ...o, epoch: e }));
  }
  const perEpoch = batchCount(plans[0]!.n, plans[0]!.batchSize, plans[0]!.dropLast);
  function* run(): Generator<EpochBatch<T, L>, void, undefined> {
    const buffers: Buffers = {};
    for (let k = 0; k < total; k++) {
      const epoch = first + k;
      for (const b of iterate(dataset, plans[k]!, buffers)) {
        yield { ...b, epoch, step: epoch * perEpoch + b.index, batchesPerEpoch: perEpoch };
      }
    }
  }
  return run();
}
