import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { onCpu, values } from './conv-check.test-util.js';
import { registerWasmReduceKernels, unregisterWasmReduceKernels } from './wasm-reduce.js';

describe('wasm Sum over leading axes', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });
  afterAll(() => {
    registerWasmReduceKernels();
  });

  const cases: [number[], number[], boolean][] = [
    [[256, 16, 16, 16], [0, 1, 2], false], // a bias gradient
    [[300, 17], [0], false], // stripe + 1 column
    [[513, 33], [0], true], // rows off the 256-row block, 2 stripes + 1 column
    [[7, 5, 3], [0, 1], false], // columns only in the scalar path
    [[2, 3, 64], [1, 0], true], // axes in any order
    [[0, 5], [0], false], // no rows: zeros
    [[4, 1], [0], false],
  ];
  it.each(cases)(
    'sums %j over %j (keepDims %s) like the cpu backend',
    async (shape, axis, keepDims) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = values(n, 7);
      const run = (abs: boolean) =>
        tf.tidy(() => {
          const x = tf.tensor(abs ? v.map(Math.abs) : v, shape);
          const s = tf.sum(x, axis, keepDims);
          return { shape: s.shape, data: s.dataSync() as Float32Array };
        });
      const got = run(false);
      const ref = await onCpu(() => run(false));
      const abs = await onCpu(() => run(true));
      expect(got.shape).toEqual(ref.shape);
      got.data.forEach((g, i) => {
        // float32 sums in another order: a few eps times the sum of magnitudes
        expect(Math.abs(g - ref.data[i]!)).toBeLessThanOrEqual(1e-6 * abs.data[i]! + 1e-30);
      });
    },
  );

  it('leaves other reductions and dtypes to the stock kernel: its exact bits', () => {
    const x = tf.tensor(values(6 * 5 * 4, 3), [6, 5, 4]);
    const runs = () =>
      [
        tf.sum(x, 2),
        tf.sum(x, [1, 2]),
        tf.sum(x),
        tf.sum(x, [0, 2]),
        tf.sum(x, 1),
        tf.sum(tf.cast(tf.mul(x, 10), 'int32'), 0),
      ].map((t) => Array.from(t.dataSync()));
    const ours = runs();
    expect(unregisterWasmReduceKernels()).toEqual(['Sum']);
    const stockRuns = runs();
    expect(registerWasmReduceKernels()).toEqual(['Sum']);
    expect(registerWasmReduceKernels()).toEqual([]);
    expect(ours).toEqual(stockRuns);
    x.dispose();
  });

  it('keeps no tensors', () => {
    const x = tf.ones([64, 16]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) tf.sum(x, 0).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
