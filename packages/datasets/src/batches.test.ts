import { describe, expect, it } from 'vitest';
import { batchCount, batches, epochs } from './batches.js';
import { DatasetError } from './errors.js';

/** n examples of shape [2, 3]; example i holds values 100 i + k, label i % 7. */
function dataset(n: number) {
  const data = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) for (let k = 0; k < 6; k++) data[i * 6 + k] = 100 * i + k;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % 7;
  return { data, shape: [n, 2, 3], labels };
}

describe('batches', () => {
  it('in order: views of the data set (no copies), last batch smaller', () => {
    const ds = dataset(10);
    const out = [...batches(ds, { batchSize: 4 })];
    expect(out.map((b) => b.shape)).toEqual([
      [4, 2, 3],
      [4, 2, 3],
      [2, 2, 3],
    ]);
    for (const b of out) {
      expect(b.data.buffer).toBe(ds.data.buffer); // a view, not a copy
      expect(b.labels!.buffer).toBe(ds.labels.buffer);
      expect(b.data.length).toBe(b.size * 6);
    }
    expect(Array.from(out[2]!.indices)).toEqual([8, 9]);
    expect(out[2]!.data[0]).toBe(800);
    expect([...batches(ds, { batchSize: 4, dropLast: true })]).toHaveLength(2);
  });

  it('shuffled: a seeded permutation, every example once, one reused buffer', () => {
    const ds = dataset(103);
    const seen: number[] = [];
    let buffer: ArrayBufferLike | undefined;
    for (const b of batches(ds, { batchSize: 10, shuffle: true, seed: 5 })) {
      expect(b.data.buffer).not.toBe(ds.data.buffer);
      buffer ??= b.data.buffer;
      expect(b.data.buffer).toBe(buffer); // the same buffer every batch
      for (let k = 0; k < b.size; k++) {
        const i = b.indices[k]!;
        seen.push(i);
        // rows and labels travel together
        expect(Array.from(b.data.subarray(k * 6, k * 6 + 6))).toEqual(
          [0, 1, 2, 3, 4, 5].map((v) => 100 * i + v),
        );
        expect(b.labels![k]).toBe(i % 7);
      }
    }
    expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it('is deterministic for a seed and epoch, different across seeds and epochs', () => {
    const ds = dataset(50);
    const order = (seed: number, epoch = 0) =>
      [...batches(ds, { batchSize: 7, shuffle: true, seed, epoch })].flatMap((b) =>
        Array.from(b.indices),
      );
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
    expect(order(1, 0)).not.toEqual(order(1, 1));
  });

  it('handles one-hot labels (n × k) and 1-D data', () => {
    const labels = new Float32Array(12);
    for (let i = 0; i < 4; i++) labels[i * 3 + (i % 3)] = 1;
    const data = Float32Array.from([10, 11, 12, 13]);
    for (const b of batches(
      { data, shape: [4], labels },
      { batchSize: 3, shuffle: true, seed: 0 },
    )) {
      expect(b.shape).toEqual([b.size]);
      for (let k = 0; k < b.size; k++) {
        const i = b.indices[k]!;
        expect(b.data[k]).toBe(10 + i);
        expect(Array.from(b.labels!.subarray(k * 3, k * 3 + 3))).toEqual(
          [0, 1, 2].map((c) => (c === i % 3 ? 1 : 0)),
        );
      }
    }
  });

  it('epochs: per-epoch orders equal batches(…, { epoch }), global steps, resumable', () => {
    const ds = dataset(20);
    // read each batch before advancing: the shuffle buffer is reused
    const run: { epoch: number; step: number; idx: number[]; first: number }[] = [];
    for (const b of epochs(ds, { epochs: 3, batchSize: 8, shuffle: true, seed: 9 })) {
      run.push({ epoch: b.epoch, step: b.step, idx: Array.from(b.indices), first: b.data[0]! });
      expect(b.batchesPerEpoch).toBe(3);
    }
    expect(run.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run.map((r) => r.epoch)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (let e = 0; e < 3; e++) {
      const single = [...batches(ds, { batchSize: 8, shuffle: true, seed: 9, epoch: e })].map((b) =>
        Array.from(b.indices),
      );
      expect(run.filter((r) => r.epoch === e).map((r) => r.idx)).toEqual(single);
    }
    const resumed = [
      ...epochs(ds, { epochs: 1, startEpoch: 2, batchSize: 8, shuffle: true, seed: 9 }),
    ];
    expect(resumed.map((b) => b.step)).toEqual([6, 7, 8]);
    expect(resumed.map((b) => Array.from(b.indices))).toEqual(run.slice(6).map((r) => r.idx));
    // the recorded first value matches the gathered row of the first index
    for (const r of run) expect(r.first).toBe(100 * r.idx[0]!);
  });

  it('batchCount', () => {
    expect(batchCount(10, 4)).toBe(3);
    expect(batchCount(10, 4, true)).toBe(2);
    expect(batchCount(8, 4, true)).toBe(2);
  });

  it('rejects bad input eagerly with typed errors', () => {
    const ds = dataset(5);
    const cases: [() => unknown, string, string][] = [
      [() => batches(ds, { batchSize: 0 }), 'options.batchSize', 'E_INVALID_ARGUMENT'],
      [() => batches(ds, { batchSize: -2 }), 'options.batchSize', 'E_INVALID_ARGUMENT'],
      [() => batches(ds, { batchSize: 2.5 }), 'options.batchSize', 'E_INVALID_ARGUMENT'],
      [
        () => batches(ds, { batchSize: 6, dropLast: true }),
        'options.batchSize',
        'E_INVALID_ARGUMENT',
      ],
      [() => batches(ds, { batchSize: 2, shuffle: true }), 'options.seed', 'E_INVALID_ARGUMENT'],
      [
        () => batches(ds, { batchSize: 2, shuffle: true, seed: 1, epoch: -1 }),
        'options.epoch',
        'E_INVALID_ARGUMENT',
      ],
      [() => batches(ds, undefined as never), 'options', 'E_INVALID_ARGUMENT'],
      [
        () => batches({ data: ds.data, shape: [5, 2, 2] }, { batchSize: 2 }),
        'dataset.data',
        'E_SHAPE',
      ],
      [
        () =>
          batches({ data: ds.data, shape: [5, 2, 3], labels: new Uint8Array(4) }, { batchSize: 2 }),
        'dataset.labels',
        'E_SHAPE',
      ],
      [
        () => batches({ data: [1, 2] as never, shape: [2] }, { batchSize: 2 }),
        'dataset.data',
        'E_INVALID_ARGUMENT',
      ],
      [
        () => batches({ data: new Float32Array(0), shape: [0] }, { batchSize: 2 }),
        'dataset.shape[0]',
        'E_INVALID_ARGUMENT',
      ],
      [() => epochs(ds, { epochs: 0, batchSize: 2 }), 'options.epochs', 'E_INVALID_ARGUMENT'],
      [() => batchCount(5, 0), 'batchSize', 'E_INVALID_ARGUMENT'],
    ];
    for (const [fn, arg, code] of cases) {
      let err: unknown;
      try {
        fn(); // no next(): errors must come from the call itself
      } catch (e) {
        err = e;
      }
      expect(err, arg).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code, arg).toBe(code);
      expect((err as DatasetError).argument).toBe(arg);
    }
  });
});
