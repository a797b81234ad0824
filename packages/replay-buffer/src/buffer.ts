/**
 * A persistent buffer of samples for EBM training (Du & Mordatch 2019; the book; Lippe's tutorial):
 * MCMC chains restart from earlier chains' end points, with a small chance of a fresh start.
 *
 * @module buffer
 */

import {
  assertInRange,
  assertInteger,
  assertTensor,
  CorruptDataError,
  InvalidArgumentError,
  NonFiniteError,
  type Rng,
  Rng as RngClass,
  type RngState,
  type SeedOrRng,
  ShapeError,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { base64ToFloat32, checksum, float32ToBase64 } from './base64.js';

/** Makes `n` fresh examples `[n, ...shape]`; gets the buffer's random stream for reproducibility. */
export type InitFn = (n: number, rng: Rng) => tf.Tensor;

/** Options of {@link ReplayBuffer}. */
export interface ReplayBufferOptions {
  /** Shape of one example, e.g. `[32, 32, 1]` or `[2]`. */
  shape: readonly number[];
  /** Maximum number of stored examples (oldest dropped first). Default 8192. */
  capacity?: number;
  /** Probability that each drawn example is a fresh one from `init`. Default 0.05. */
  reinitProb?: number;
  /** Fresh examples; default uniform in [-1, 1] drawn from the buffer's stream. */
  init?: InitFn;
  /** Seed or random stream (`@ebmjs/tensor-backend`). */
  seed?: SeedOrRng;
}

/**
 * A serialised buffer. `data` holds the used ring slots `0 .. size-1` (`size * prod(shape)`
 * float32 values, physical order); `head` is the next slot to write, so the newest example sits
 * in slot `head - 1` (mod capacity). `checksum` is FNV-1a over the little-endian bytes of `data`.
 */
export interface ReplayBufferSnapshot<D extends Float32Array | string = Float32Array | string> {
  format: 'ebmjs.replay-buffer';
  version: 1;
  shape: number[];
  capacity: number;
  reinitProb: number;
  size: number;
  head: number;
  /** Float32Array from {@link ReplayBuffer.serialize}, base64 from {@link ReplayBuffer.toJSON}. */
  data: D;
  checksum: number;
  /** State of the buffer's random stream: a restored buffer draws the same next samples. */
  rng: RngState;
}

const OPTION_KEYS = ['shape', 'capacity', 'reinitProb', 'init', 'seed'];

function checkShape(name: string, shape: unknown): asserts shape is readonly number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new InvalidArgumentError(
      name,
      'expected a non-empty array of positive integers, e.g. [32, 32, 1]',
    );
  }
  shape.forEach((d, i) => {
    assertInteger(`${name}[${i}]`, d, 1);
  });
}

/**
 * Replay buffer stored as ONE preallocated `Float32Array` ring of `capacity × prod(shape)` values.
 *
 * - {@link sample}`(n)`: each of the `n` examples is fresh with probability `reinitProb` (so the
 *   fresh count is Binomial(n, reinitProb)); the rest are drawn uniformly with replacement from
 *   the stored examples. Fresh examples come first, as in the book. An empty buffer gives all fresh.
 * - {@link push}`(x)`: stores a batch newest-first (`x[0]` becomes the newest), dropping the oldest
 *   beyond capacity.
 *
 * @example
 * ```ts
 * const buffer = new ReplayBuffer({ shape: [32, 32, 1], capacity: 8192, reinitProb: 0.05, seed: 1 });
 * const x0 = buffer.sample(128);                       // start points for the sampler
 * const { samples } = await sample(sgld(energy), x0, { steps: 60 });
 * buffer.push(samples);                                // keep the chains' end points
 * ```
 */
export class ReplayBuffer {
  /** Shape of one example. */
  readonly shape: readonly number[];
  /** Maximum number of stored examples. */
  readonly capacity: number;
  /** Probability of a fresh example per drawn example. */
  readonly reinitProb: number;
  private readonly exampleSize: number;
  private readonly data: Float32Array;
  private readonly init: InitFn;
  private readonly rng: Rng;
  private count = 0;
  private head = 0;

  constructor(options: ReplayBufferOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(
        'options',
        'expected { shape, capacity?, reinitProb?, init?, seed? }',
      );
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) {
        throw new InvalidArgumentError(
          `options.${key}`,
          `unknown option; expected one of ${OPTION_KEYS.join(', ')}`,
        );
      }
    }
    const { shape, capacity = 8192, reinitProb = 0.05, init, seed } = options;
    checkShape('options.shape', shape);
    assertInteger('options.capacity', capacity, 1);
    assertInRange('options.reinitProb', reinitProb, 0, 1);
    if (init !== undefined && typeof init !== 'function') {
      throw new InvalidArgumentError(
        'options.init',
        'expected a function (n, rng) => Tensor [n, ...shape]',
      );
    }
    this.shape = Object.freeze([...shape]);
    this.capacity = capacity;
    this.reinitProb = reinitProb;
    this.exampleSize = shape.reduce((a, b) => a * b, 1);
    const total = capacity * this.exampleSize;
    if (total > 2 ** 31 - 1) {
      throw new InvalidArgumentError(
        'options.capacity',
        `capacity × prod(shape) = ${total} floats is too large for one Float32Array`,
      );
    }
    this.data = new Float32Array(total);
    this.init = init ?? ((n, rng) => rng.uniform([n, ...this.shape], -1, 1));
    this.rng = toRng(seed);
  }

  /** Number of stored examples. */
  get size(): number {
    return this.count;
  }

  /**
   * Draws `n` start points `[n, ...shape]`: Binomial(n, reinitProb) fresh ones from `init` first,
   * then examples picked uniformly with replacement from the buffer (all fresh when it is empty).
   * The caller owns the returned tensor.
   */
  sample(n: number): tf.Tensor {
    assertInteger('n', n, 1);
    let fresh = 0;
    if (this.count === 0) fresh = n;
    else for (let i = 0; i < n; i++) if (this.rng.random() < this.reinitProb) fresh++;
    const old = n - fresh;
    const D = this.exampleSize;
    const picked = new Float32Array(old * D);
    for (let j = 0; j < old; j++) {
      const slot = this.slotOf(this.rng.int(this.count));
      picked.set(this.data.subarray(slot * D, (slot + 1) * D), j * D);
    }
    const oldT = old > 0 ? tf.tensor(picked, [old, ...this.shape], 'float32') : null;
    if (fresh === 0) return oldT!;
    let freshT: tf.Tensor;
    try {
      freshT = this.init(fresh, this.rng);
      assertTensor('init(n)', freshT);
      const expected = [fresh, ...this.shape];
      if (
        freshT.shape.length !== expected.length ||
        freshT.shape.some((d, i) => d !== expected[i])
      ) {
        const got = `[${freshT.shape.join(', ')}]`;
        freshT.dispose();
        throw new ShapeError(
          'options.init',
          `init(${fresh}) must return shape [${expected.join(', ')}], got ${got}`,
        );
      }
    } catch (err) {
      oldT?.dispose();
      throw err;
    }
    if (freshT.dtype !== 'float32') {
      const cast = tf.cast(freshT, 'float32');
      freshT.dispose();
      freshT = cast;
    }
    if (oldT === null) return freshT;
    const out = tf.concat([freshT, oldT], 0);
    tf.dispose([freshT, oldT]);
    return out;
  }

  /**
   * Stores a batch `[m, ...shape]` newest-first: afterwards `x[0]` is the newest example, then
   * `x[1]`, ..., then the previous contents; beyond capacity the oldest are dropped (and if
   * m > capacity only `x[0 .. capacity-1]` are kept). Reads the tensor's data (one host sync);
   * rejects NaN/infinite values before storing anything. The caller keeps ownership of `x`.
   */
  push(x: tf.Tensor): void {
    assertTensor('x', x);
    const expected = [null, ...this.shape];
    if (x.rank !== expected.length || x.shape.some((d, i) => i > 0 && d !== expected[i])) {
      throw new ShapeError(
        'x',
        `expected shape [N, ${this.shape.join(', ')}], got [${x.shape.join(', ')}]`,
      );
    }
    const m = x.shape[0]!;
    if (m === 0) return;
    const values =
      x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!))
        throw new NonFiniteError(
          'x',
          `contains a non-finite value at flat index ${i}; nothing was stored`,
        );
    }
    const D = this.exampleSize;
    const keep = Math.min(m, this.capacity);
    for (let j = keep - 1; j >= 0; j--) {
      this.data.set(values.subarray(j * D, (j + 1) * D), this.head * D);
      this.head = (this.head + 1) % this.capacity;
    }
    this.count = Math.min(this.count + keep, this.capacity);
  }

  /** The newest `count` examples (default all), newest first, as a new tensor. */
  peek(count = this.count): tf.Tensor {
    assertInteger('count', count, 0, this.count);
    const D = this.exampleSize;
    const out = new Float32Array(count * D);
    for (let i = 0; i < count; i++) {
      const slot = this.slotOf(i);
      out.set(this.data.subarray(slot * D, (slot + 1) * D), i * D);
    }
    return tf.tensor(out, [count, ...this.shape], 'float32');
  }

  /** Ring slot of the i-th newest example. */
  private slotOf(i: number): number {
    return (((this.head - 1 - i) % this.capacity) + this.capacity) % this.capacity;
  }

  /** A snapshot with the data as a Float32Array (a copy): for binary storage. */
  serialize(): ReplayBufferSnapshot<Float32Array> {
    const data = this.data.slice(0, this.count * this.exampleSize);
    return {
      format: 'ebmjs.replay-buffer',
      version: 1,
      shape: [...this.shape],
      capacity: this.capacity,
      reinitProb: this.reinitProb,
      size: this.count,
      head: this.head,
      data,
      checksum: checksum(data),
      rng: this.rng.getState(),
    };
  }

  /** A JSON-safe snapshot (data as base64 of little-endian float32); `JSON.stringify` uses it. */
  toJSON(): ReplayBufferSnapshot<string> {
    const snap = this.serialize();
    return { ...snap, data: float32ToBase64(snap.data) };
  }

  /**
   * Rebuilds a buffer from {@link serialize}, {@link toJSON} or its JSON text. The restored
   * buffer continues exactly: same contents, same order, same random stream (so the same next
   * samples). A custom `init` is code and is not stored: pass it again. Anything truncated,
   * inconsistent or of the wrong kind throws `CorruptDataError`.
   */
  static restore(
    snapshot: ReplayBufferSnapshot | string,
    options: { init?: InitFn } = {},
  ): ReplayBuffer {
    let snap: unknown = snapshot;
    if (typeof snapshot === 'string') {
      try {
        snap = JSON.parse(snapshot);
      } catch (err) {
        throw new CorruptDataError('replay buffer snapshot: not valid JSON', { cause: err });
      }
    }
    const s = validateSnapshot(snap);
    let buffer: ReplayBuffer;
    try {
      buffer = new ReplayBuffer({
        shape: s.shape,
        capacity: s.capacity,
        reinitProb: s.reinitProb,
        seed: RngClass.fromState(s.rng),
        ...(options.init ? { init: options.init } : {}),
      });
    } catch (err) {
      if (err instanceof InvalidArgumentError && !err.argument.startsWith('options.init')) {
        throw new CorruptDataError(`replay buffer snapshot: ${err.message}`, { cause: err });
      }
      throw err;
    }
    buffer.data.set(s.data, 0);
    buffer.count = s.size;
    buffer.head = s.head;
    return buffer;
  }
}

function corrupt(message: string): never {
  throw new CorruptDataError(`replay buffer snapshot: ${message}`);
}

const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

function validateSnapshot(snap: unknown): ReplayBufferSnapshot<Float32Array> {
  if (typeof snap !== 'object' || snap === null) corrupt('expected an object');
  const s = snap as Record<string, unknown>;
  if (s.format !== 'ebmjs.replay-buffer')
    corrupt(`format is ${JSON.stringify(s.format)}, expected "ebmjs.replay-buffer"`);
  if (s.version !== 1) corrupt(`unsupported version ${JSON.stringify(s.version)}`);
  if (!Array.isArray(s.shape) || s.shape.length === 0 || !s.shape.every((d) => isInt(d, 1)))
    corrupt('shape must be a non-empty array of positive integers');
  if (!isInt(s.capacity, 1)) corrupt('capacity must be a positive integer');
  if (typeof s.reinitProb !== 'number' || !(s.reinitProb >= 0 && s.reinitProb <= 1))
    corrupt('reinitProb must be in [0, 1]');
  if (!isInt(s.size, 0) || s.size > s.capacity)
    corrupt(`size must be an integer in [0, capacity], got ${String(s.size)}`);
  if (!isInt(s.head, 0) || s.head >= s.capacity)
    corrupt(`head must be an integer in [0, capacity), got ${String(s.head)}`);
  if (s.size < s.capacity && s.head !== s.size % s.capacity)
    corrupt(
      `head ${s.head} is inconsistent with size ${s.size} (a buffer that is not full has head = size)`,
    );
  const rng = s.rng as Record<string, unknown> | null;
  if (
    typeof rng !== 'object' ||
    rng === null ||
    !isInt(rng.seed, 0) ||
    rng.seed > 0xffffffff ||
    !isInt(rng.counter, 0)
  )
    corrupt('rng must be { seed, counter } with non-negative integers');
  let data: Float32Array;
  if (s.data instanceof Float32Array) data = s.data;
  else if (typeof s.data === 'string') {
    try {
      data = base64ToFloat32(s.data);
    } catch (err) {
      throw new CorruptDataError('replay buffer snapshot: data is not valid base64 float32', {
        cause: err,
      });
    }
  } else corrupt('data must be a Float32Array or a base64 string');
  const D = (s.shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== s.size * D)
    corrupt(`data holds ${data.length} values, expected size × prod(shape) = ${s.size * D}`);
  if (checksum(data) !== s.checksum)
    corrupt('checksum mismatch: the data was altered or truncated');
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!)) corrupt(`data has a non-finite value at index ${i}`);
  return {
    ...(s as unknown as ReplayBufferSnapshot<Float32Array>),
    data,
    shape: [...(s.shape as number[])],
  };
}
