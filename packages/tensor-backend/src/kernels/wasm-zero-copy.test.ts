import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmZeroCopyKernels, unregisterWasmZeroCopyKernels } from './wasm-zero-copy.js';

let stockIdentity: tf.KernelConfig | undefined;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  unregisterWasmZeroCopyKernels();
  stockIdentity = tf.getKernel('Identity', 'wasm');
});

afterAll(async () => {
  unregisterWasmZeroCopyKernels();
  await tf.setBackend('cpu');
});

describe('wasm zero-copy Identity and Cast', () => {
  it('register is idempotent and unregister restores the stock kernels', () => {
    expect(registerWasmZeroCopyKernels()).toEqual(['Identity', 'Cast']);
    expect(registerWasmZeroCopyKernels()).toEqual([]);
    expect(tf.getKernel('Identity', 'wasm')).not.toBe(stockIdentity);
    expect(unregisterWasmZeroCopyKernels()).toEqual(['Identity', 'Cast']);
    expect(tf.getKernel('Identity', 'wasm')).toBe(stockIdentity);
    expect(unregisterWasmZeroCopyKernels()).toEqual([]);
  });

  it('clone and same-dtype cast share the data; values, disposal and other casts are right', () => {
    registerWasmZeroCopyKernels();
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    const a = tf.tensor([1.5, -2.25, 3, 0], [2, 2]);
    const b = tf.clone(a);
    const c = tf.cast(a, 'float32');
    // One buffer for the three (tf.memory().numBytes counts per tensor, numDataBuffers per buffer).
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
    expect(tf.engine().backend.numDataIds()).toBe(ids + 1);
    const i = tf.cast(a, 'int32');
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1.5, -2.25, 3, 0]);
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2.25, 3, 0]);
    expect(c.dtype).toBe('float32');
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3, 0]);
    expect(i.dtype).toBe('int32');
    const j = tf.cast(i, 'int32');
    const str = tf.tensor(['x', 'y']);
    const s = tf.clone(str);
    expect(s.dataSync()).toEqual(['x', 'y']);
    expect(Array.from(j.dataSync())).toEqual([1, -2, 3, 0]);
    tf.dispose([c, i, j, str, s]);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    unregisterWasmZeroCopyKernels();
  });

  it('gradients through saved tensors (the tape clones them) are unchanged', () => {
    const f = (x: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(tf.mul(x, x)), x));
    const x = tf.tensor([0.3, -1.2, 2, 0.7]);
    const stock = Array.from(tf.grad(f)(x).dataSync());
    registerWasmZeroCopyKernels();
    const before = tf.memory().numTensors;
    const g = tf.grad(f)(x);
    expect(Array.from(g.dataSync())).toEqual(stock);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    unregisterWasmZeroCopyKernels();
    x.dispose();
  });
});
