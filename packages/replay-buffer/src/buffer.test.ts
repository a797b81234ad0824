import {
  CorruptDataError,
  InvalidArgumentError,
  NonFiniteError,
  ShapeError,
} from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReplayBuffer } from './buffer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A batch [rows.length, 2] where example i is [v, v] for v = rows[i]. */
const batch = (rows: number[]) => tf.tensor2d(rows.map((v) => [v, v]));
const firstCol = (t: tf.Tensor) => (t.arraySync() as number[][]).map((r) => r[0]!);

describe('ReplayBuffer.sample', () => {
  it('an empty buffer gives all fresh draws, uniform in [-1, 1] by default', () => {
    const buf = new ReplayBuffer({ shape: [4, 4, 1], seed: 1 });
    const x = buf.sample(64);
    expect(x.shape).toEqual([64, 4, 4, 1]);
    const v = Array.from(x.dataSync());
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    // 1024 uniform draws in [-1, 1]: mean 0 with SE sqrt(1/3 / 1024) = 0.018
    expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length)).toBeLessThan(4.5 * 0.018);
    x.dispose();
  });

  it('fresh fraction is close to reinitProb, per-call counts vary binomially, fresh rows come first', () => {
    const p = 0.05;
    const n = 100;
    const calls = 200;
    const buf = new ReplayBuffer({ shape: [2], capacity: 50, reinitProb: p, seed: 7 });
    buf.push(batch(Array.from({ length: 50 }, () => 5))); // stored examples are all 5: fresh ones lie in [-1, 1]
    const counts: number[] = [];
    for (let c = 0; c < calls; c++) {
      const x = buf.sample(n);
      const col = firstCol(x);
      x.dispose();
      const fresh = col.filter((v) => v <= 1).length;
      // fresh examples come first (as in the book), then buffer draws
      expect(col.slice(0, fresh).every((v) => v <= 1)).toBe(true);
      expect(col.slice(fresh).every((v) => v === 5)).toBe(true);
      counts.push(fresh);
    }
    const total = calls * n;
    const frac = counts.reduce((a, b) => a + b, 0) / total;
    // 20,000 independent coin flips: SE = sqrt(p (1 - p) / 20000) = 0.0015; 4.5 SE tolerance.
    expect(Math.abs(frac - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / total));
    // Binomial(100, 0.05) has variance 4.75; with 200 calls the sample variance has SE about
    // 4.75 * sqrt(2 / 199) = 0.48 (normal approximation; the excess kurtosis of this binomial
    // is small, 0.18), so a fixed count (variance 0) or a far wider spread would fail.
    const mean = counts.reduce((a, b) => a + b, 0) / calls;
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (calls - 1);
    expect(Math.abs(variance - 4.75)).toBeLessThan(4.5 * 4.75 * Math.sqrt(2 / (calls - 1)));
  });

  it('stored examples are drawn uniformly with replacement', () => {
    const buf = new ReplayBuffer({ shape: [2], capacity: 10, reinitProb: 0, seed: 3 });
    buf.push(batch([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const hist = new Array(10).fill(0);
    let repeatsInOneDraw = 0;
    for (let c = 0; c < 200; c++) {
      const x = buf.sample(100);
      const col = firstCol(x);
      x.dispose();
      for (const v of col) hist[v]++;
      if (new Set(col).size < col.length) repeatsInOneDraw++;
    }
    // 20,000 draws, each count ~ Binomial(20000, 0.1): SD sqrt(20000 * 0.1 * 0.9) = 42.4
    for (const h of hist) expect(Math.abs(h - 2000)).toBeLessThan(4.5 * 42.4);
    // with replacement: 100 draws from 10 items always repeat
    expect(repeatsInOneDraw).toBe(200);
  });

  it('reinitProb 1 always gives fresh draws; a custom init gets n and the stream', () => {
    const seen: number[] = [];
    const buf = new ReplayBuffer({
      shape: [3],
      reinitProb: 1,
      seed: 2,
      init: (n, rng) => {
        seen.push(n);
        return rng.normal([n, 3], 10, 0.01);
      },
    });
    buf.push(tf.zeros([5, 3]));
    const x = buf.sample(6);
    expect(seen).toEqual([6]);
    expect(Math.min(...x.dataSync())).toBeGreaterThan(9);
    x.dispose();
  });

  it('a custom init of the wrong shape gets a ShapeError and frees its tensors', () => {
    const buf = new ReplayBuffer({ shape: [3], reinitProb: 1, init: (n) => tf.zeros([n, 4]) });
    buf.push(tf.zeros([5, 3]));
    const before = tf.memory().numTensors;
    expect(() => buf.sample(4)).toThrow(ShapeError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('same seed gives the same samples', () => {
    const make = () => {
      const b = new ReplayBuffer({ shape: [2], capacity: 20, reinitProb: 0.3, seed: 11 });
      b.push(batch([1, 2, 3, 4, 5]));
      const x = b.sample(30);
      const out = Array.from(x.dataSync());
      x.dispose();
      return out;
    };
    expect(make()).toEqual(make());
  });
});

describe('ReplayBuffer.push', () => {
  it('stores newest first and holds capacity', () => {
    const buf = new ReplayBuffer({ shape: [2], capacity: 4, seed: 1 });
    expect(buf.size).toBe(0);
    buf.push(batch([10, 11]));
    expect(buf.size).toBe(2);
    buf.push(batch([20, 21, 22]));
    expect(buf.size).toBe(4);
    expect(buf.capacity).toBe(4);
    let x = buf.peek();
    // Lippe / the book: new = list(batch) + old, truncated to capacity
    expect(firstCol(x)).toEqual([20, 21, 22, 10]);
    x.dispose();
    buf.push(batch([30]));
    x = buf.peek();
    expect(firstCol(x)).toEqual([30, 20, 21, 22]);
    x.dispose();
    // a batch larger than the capacity keeps its first `capacity` rows
    buf.push(batch([40, 41, 42, 43, 44, 45]));
    x = buf.peek(3);
    expect(firstCol(x)).toEqual([40, 41, 42]);
    expect(buf.size).toBe(4);
    x.dispose();
  });

  it('checks shape and finiteness before storing anything', () => {
    const buf = new ReplayBuffer({ shape: [2], capacity: 4 });
    buf.push(batch([1]));
    expect(() => buf.push(tf.zeros([3, 3]))).toThrow(ShapeError);
    expect(() => buf.push(tf.zeros([3]))).toThrow(ShapeError);
    expect(() =>
      buf.push(
        tf.tensor2d([
          [0, 0],
          [Number.NaN, 1],
        ]),
      ),
    ).toThrow(NonFiniteError);
    expect(buf.size).toBe(1);
    const x = buf.peek();
    expect(firstCol(x)).toEqual([1]);
    x.dispose();
  });
});

describe('options', () => {
  it('bad options throw InvalidArgumentError naming the option', () => {
    const cases: [unknown, string][] = [
      [{ shape: [] }, 'options.shape'],
      [{ shape: [2, 0] }, 'options.shape[1]'],
      [{ shape: [2], capacity: 0 }, 'options.capacity'],
      [{ shape: [2], capacity: 1.5 }, 'options.capacity'],
      [{ shape: [2], reinitProb: 1.5 }, 'options.reinitProb'],
      [{ shape: [2], reinitProb: -0.1 }, 'options.reinitProb'],
      [{ shape: [2], init: 3 }, 'options.init'],
      [{ shape: [2], reinit: 0.1 }, 'options.reinit'],
      [{ shape: [2], seed: -1 }, 'seed'],
    ];
    for (const [opts, arg] of cases) {
      expect(() => new ReplayBuffer(opts as never), JSON.stringify(opts)).toThrow(
        expect.objectContaining({ argument: arg }),
      );
    }
    const buf = new ReplayBuffer({ shape: [2] });
    expect(() => buf.sample(0)).toThrow(InvalidArgumentError);
    expect(() => buf.sample(2.5)).toThrow(InvalidArgumentError);
  });
});

describe('serialisation', () => {
  function filled() {
    const buf = new ReplayBuffer({ shape: [2, 3], capacity: 8, reinitProb: 0.2, seed: 42 });
    for (let k = 0; k < 3; k++) {
      const x = buf.sample(5); // mixes fresh draws and buffer draws; advances the stream
      buf.push(x); // 15 pushed into capacity 8: the ring has wrapped
      x.dispose();
    }
    return buf;
  }

  it('serialize() and JSON text both restore a buffer that continues exactly', () => {
    for (const via of ['binary', 'json'] as const) {
      const a = filled();
      const restored =
        via === 'binary'
          ? ReplayBuffer.restore(a.serialize())
          : ReplayBuffer.restore(JSON.stringify(a));
      expect(restored.size).toBe(a.size);
      expect(restored.capacity).toBe(8);
      expect(restored.reinitProb).toBe(0.2);
      expect(restored.shape).toEqual([2, 3]);
      const pa = a.peek();
      const pb = restored.peek();
      expect(Array.from(pb.dataSync())).toEqual(Array.from(pa.dataSync()));
      for (let k = 0; k < 3; k++) {
        const xa = a.sample(7);
        const xb = restored.sample(7);
        expect(Array.from(xb.dataSync()), via).toEqual(Array.from(xa.dataSync()));
        a.push(xa);
        restored.push(xb);
        tf.dispose([xa, xb]);
      }
      tf.dispose([pa, pb]);
    }
  });

  it('the snapshot holds head, size, data and the stream state', () => {
    const a = filled();
    const s = a.serialize();
    expect(s).toMatchObject({
      format: 'ebmjs.replay-buffer',
      version: 1,
      shape: [2, 3],
      capacity: 8,
      size: 8,
    });
    expect(s.head).toBe(15 % 8);
    expect(s.data).toBeInstanceOf(Float32Array);
    expect(s.data.length).toBe(8 * 6);
    expect(typeof a.toJSON().data).toBe('string');
    expect(s.rng).toEqual(expect.objectContaining({ seed: 42 }));
  });

  it('corrupt or mismatched snapshots throw CorruptDataError', () => {
    const good = filled().toJSON();
    const bad: unknown[] = [
      'not json {',
      null,
      { ...good, format: 'something-else' },
      { ...good, version: 2 },
      { ...good, size: 9 },
      { ...good, head: 8 },
      { ...good, shape: [2, 0] },
      { ...good, reinitProb: 2 },
      { ...good, data: good.data.slice(0, -8) }, // truncated
      { ...good, data: '%%%' },
      { ...good, checksum: (good.checksum + 1) >>> 0 }, // altered
      { ...good, rng: { seed: 1 } },
      { ...good, shape: [3, 3] }, // data length no longer matches
    ];
    for (const snap of bad) {
      expect(() => ReplayBuffer.restore(snap as never), JSON.stringify(snap)?.slice(0, 60)).toThrow(
        CorruptDataError,
      );
    }
    // a partially filled buffer must have head = size
    const partial = new ReplayBuffer({ shape: [1], capacity: 4 });
    partial.push(tf.ones([2, 1]));
    expect(() => ReplayBuffer.restore({ ...partial.serialize(), head: 3 })).toThrow(
      CorruptDataError,
    );
    expect(ReplayBuffer.restore(partial.serialize()).size).toBe(2);
  });
});

describe('no tensor growth', () => {
  it('a sample/push loop leaves numTensors flat', async () => {
    const buf = new ReplayBuffer({ shape: [4, 4, 1], capacity: 64, seed: 5 });
    await expectNoLeak(
      () => {
        for (let i = 0; i < 50; i++) {
          const x = buf.sample(16);
          buf.push(x);
          x.dispose();
        }
      },
      { warmup: 1, repeats: 2 },
    );
  });
});
