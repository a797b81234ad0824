import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { InvalidArgumentError } from './errors.js';
import { swish } from './ops.js';
import { registerNodeWasmThreads, wasmThreadCount } from './wasm-threads.js';

/** A small conv net's energy and input gradient, the work the Langevin samplers do. */
function energyAndInputGrad(seed: number): { e: Float32Array; g: Float32Array } {
  return tf.tidy(() => {
    // (typed arrays out of tidy: nothing is kept)
    const x = tf.randomUniform([8, 16, 16, 1], -1, 1, 'float32', seed);
    const w1 = tf.randomNormal([5, 5, 1, 16], 0, 0.2, 'float32', seed + 1);
    const w2 = tf.randomNormal([3, 3, 16, 32], 0, 0.1, 'float32', seed + 2);
    const b1 = tf.randomNormal([16], 0, 0.1, 'float32', seed + 3);
    const f = (z: tf.Tensor) => {
      const h = swish(
        tf.add<tf.Tensor4D>(tf.conv2d(z as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same'), b1),
      );
      return tf.sum(swish(tf.conv2d(h as tf.Tensor4D, w2 as tf.Tensor4D, 2, 'same')), [1, 2, 3]);
    };
    const grad = tf.grad((z: tf.Tensor) => tf.sum(f(z)))(x);
    return { e: f(x).dataSync() as Float32Array, g: grad.dataSync() as Float32Array };
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('wasm threads in Node', () => {
  const env = process.env.EBMJS_WASM_THREADS;
  // tfjs's threaded build is what these tests are about: without the native convolutions (which
  // keep tfjs single-threaded and run threads of their own, see kernels/wasm-conv-fma.test.ts)
  beforeAll(() => {
    process.env.EBMJS_NATIVE_KERNELS = '0';
  });
  afterAll(async () => {
    delete process.env.EBMJS_NATIVE_KERNELS;
    if (env === undefined) delete process.env.EBMJS_WASM_THREADS;
    else process.env.EBMJS_WASM_THREADS = env;
    // Leave the single-threaded stock backend for the other test files of this process.
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('runs the threaded SIMD build with the requested pool, with the same results as 1 thread and cpu', async () => {
    const one = await initBackend({ backend: 'wasm', threads: 1 });
    expect(one.threadCount).toBe(1);
    expect(one.threads).toBe(false);
    expect(one.threadedBuild).toBe(false);
    const ref1 = energyAndInputGrad(7);

    const two = await initBackend({ backend: 'wasm', threads: 2 });
    expect(two.name).toBe('wasm');
    expect(two.threadCount).toBe(2);
    expect(two.threads).toBe(true);
    expect(two.threadedBuild).toBe(true);
    expect(two.simd).toBe(true);
    expect(wasmThreadCount()).toBe(2);
    // the kernel fills (registered per backend name) serve the rebuilt backend as well
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    const before = tf.memory().numTensors;
    const ref2 = energyAndInputGrad(7);
    expect(tf.memory().numTensors).toBe(before);

    await initBackend({ backend: 'cpu' });
    const refCpu = energyAndInputGrad(7);

    // XNNPACK splits the output among threads; each output is still summed by one thread.
    expect(maxAbsDiff(ref2.e, ref1.e)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ref2.g, ref1.g)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ref2.e, refCpu.e)).toBeLessThan(1e-3);
    expect(maxAbsDiff(ref2.g, refCpu.g)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ref2.g, new Float32Array(ref2.g.length))).toBeGreaterThan(1e-3);
  });

  it('keeps a running wasm backend unless another thread count is asked for', async () => {
    await initBackend({ backend: 'wasm', threads: 2 });
    const kept = tf.tensor1d([1, 2, 3]);
    delete process.env.EBMJS_WASM_THREADS;
    // no request: the live 2-thread backend and its tensors stay
    expect((await initBackend({ backend: 'wasm' })).threadCount).toBe(2);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
    kept.dispose();
    // EBMJS_WASM_THREADS asks for another count: rebuilt with 1 thread
    process.env.EBMJS_WASM_THREADS = '1';
    expect((await initBackend({ backend: 'wasm' })).threadCount).toBe(1);
    process.env.EBMJS_WASM_THREADS = '2';
    expect((await initBackend({ backend: 'wasm' })).threadCount).toBe(2);
    delete process.env.EBMJS_WASM_THREADS;
  });

  it('rejects a bad thread count with a typed error before touching the backend', async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
    for (const bad of [0, -1, 1.5, 9, Number.NaN, '2' as unknown as number]) {
      const err = await initBackend({ backend: 'wasm', threads: bad }).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toMatch(/options\.threads.*1 to 8/);
    }
    process.env.EBMJS_WASM_THREADS = 'many';
    const err = await initBackend({ backend: 'wasm' }).catch((e) => e);
    delete process.env.EBMJS_WASM_THREADS;
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/EBMJS_WASM_THREADS/);
    // the XNNPACK pool size of registerNodeWasmThreads is checked the same way
    for (const bad of [0, 9, 1.5]) {
      const e = await registerNodeWasmThreads(2, bad).catch((x) => x);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message).toMatch(/pool.*1 to 8/);
    }
    expect(wasmThreadCount()).toBe(1);
  });
});
