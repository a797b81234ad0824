import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniformArray } from '../random-arrays.js';
import { createRng } from '../rng.js';
import { registerWasmMatMulKernel, unregisterWasmMatMulKernel } from './wasm-matmul.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  unregisterWasmMatMulKernel();
});

afterAll(async () => {
  unregisterWasmMatMulKernel();
  await tf.setBackend('cpu');
});

/** a @ b with the flags on `backend`, from plain arrays. */
async function product(
  backend: string,
  a: { v: Float32Array; s: number[] },
  b: { v: Float32Array; s: number[] },
  ta: boolean,
  tb: boolean,
): Promise<{ v: Float32Array; s: number[] }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const ids = tf.engine().backend.numDataIds();
  const out = tf.tidy(() => tf.matMul(tf.tensor(a.v, a.s), tf.tensor(b.v, b.s), ta, tb));
  const res = { v: out.dataSync() as Float32Array, s: out.shape };
  out.dispose();
  // No intermediate (the explicit transposes) is left behind.
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(ids);
  return res;
}

describe('wasm BatchMatMul with explicit transposes', () => {
  it('register is idempotent and unregister restores the stock kernel', () => {
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    expect(registerWasmMatMulKernel()).toEqual(['BatchMatMul']);
    expect(registerWasmMatMulKernel()).toEqual([]);
    expect(tf.getKernel('BatchMatMul', 'wasm')).not.toBe(stock);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.setupFunc).toBe(stock?.setupFunc);
    expect(unregisterWasmMatMulKernel()).toEqual(['BatchMatMul']);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stock);
    expect(unregisterWasmMatMulKernel()).toEqual([]);
  });

  // [a shape, b shape] before transposition flags are applied ([m, k] x [k, n] for no flags).
  const cases: [number[], number[]][] = [
    [
      [3, 5],
      [5, 4],
    ],
    [
      [128, 64],
      [64, 256],
    ],
    [
      [1, 7],
      [7, 1],
    ],
    [
      [2, 3, 5],
      [2, 5, 4],
    ],
    [
      [4, 3, 5],
      [1, 5, 2],
    ],
    [
      [2, 2, 3, 4],
      [2, 2, 4, 3],
    ],
  ];
  const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!];
  it('matches the cpu backend for every transpose flag combination and batch broadcast', async () => {
    let seed = 0;
    const draw = (shape: number[]) => {
      const n = shape.reduce((x, y) => x * y, 1);
      return { v: uniformArray(n, seed++).map((u) => 2 * u - 1), s: shape };
    };
    for (const [sa, sb] of cases) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const shapeA = ta ? swap(sa) : sa;
          const shapeB = tb ? swap(sb) : sb;
          const a = draw(shapeA);
          const b = draw(shapeB);
          const want = await product('cpu', a, b, ta, tb);
          registerWasmMatMulKernel();
          const got = await product('wasm', a, b, ta, tb);
          expect(got.s).toEqual(want.s);
          for (let i = 0; i < want.v.length; i++) {
            expect(Math.abs(got.v[i]! - want.v[i]!)).toBeLessThan(
              1e-4 * (1 + Math.abs(want.v[i]!)),
            );
          }
          unregisterWasmMatMulKernel();
        }
      }
    }
  });

  it('gradients of a dense layer (transposed products) match the stock kernel', async () => {
    await tf.setBackend('wasm');
    const x = createRng(1).uniform([16, 32], -1, 1);
    const w = createRng(2).uniform([32, 8], -1, 1);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.matMul(xx, ww)));
    const stock = tf
      .grads(f)([x, w])
      .map((g) => Array.from(g.dataSync()));
    registerWasmMatMulKernel();
    const ours = tf
      .grads(f)([x, w])
      .map((g) => Array.from(g.dataSync()));
    unregisterWasmMatMulKernel();
    for (let k = 0; k < 2; k++) {
      ours[k]!.forEach((v, i) => {
        expect(Math.abs(v - stock[k]![i]!)).toBeLessThan(1e-4 * (1 + Math.abs(stock[k]![i]!)));
      });
    }
    tf.dispose([x, w]);
  });
});
