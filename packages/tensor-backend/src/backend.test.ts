import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { applyKernelFills, initBackend, isNode, registerKernelFill } from './backend.js';
import { BackendUnavailableError, InvalidArgumentError } from './errors.js';

describe('initBackend', () => {
  const env = process.env.EBMJS_BACKEND;
  afterAll(() => {
    if (env === undefined) delete process.env.EBMJS_BACKEND;
    else process.env.EBMJS_BACKEND = env;
  });

  it('knows it runs in Node', () => {
    expect(isNode()).toBe(true);
  });

  it('picks the best available Node backend: tensorflow is absent here, so wasm with SIMD', async () => {
    delete process.env.EBMJS_BACKEND;
    const info = await initBackend();
    expect(info.platform).toBe('node');
    // tfjs-node cannot be installed on this machine; if it ever is, it must win.
    let hasNode = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      hasNode = false;
    }
    expect(info.name).toBe(hasNode ? 'tensorflow' : 'wasm');
    expect(tf.getBackend()).toBe(info.name);
    if (!hasNode) {
      expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow']);
      expect(info.simd).toBe(true);
    }
  });

  it('honours an explicit choice and EBMJS_BACKEND', async () => {
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.EBMJS_BACKEND = 'wasm';
    expect((await initBackend()).name).toBe('wasm');
    process.env.EBMJS_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    delete process.env.EBMJS_BACKEND;
  });

  it('an explicit backend that is not installed fails with an install hint', async () => {
    let hasNode = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      hasNode = false;
    }
    if (hasNode) return; // nothing to prove where tfjs-node exists
    const err = await initBackend({ backend: 'tensorflow' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(err.message).toMatch(/npm|install @tensorflow\/tfjs-node/);
    // webgl does not exist in Node
    await expect(initBackend({ backend: 'webgl' })).rejects.toThrow(BackendUnavailableError);
  });

  it('an unknown backend name is a typed argument error', async () => {
    await expect(initBackend({ backend: 'tpu' as never })).rejects.toThrow(InvalidArgumentError);
    process.env.EBMJS_BACKEND = 'gpu-please';
    await expect(initBackend()).rejects.toThrow(/EBMJS_BACKEND|options.backend/);
    delete process.env.EBMJS_BACKEND;
  });

  it('falls back along a list and runs registered kernel fills for the chosen backend', async () => {
    let calls = 0;
    registerKernelFill('cpu', () => {
      calls++;
      return ['TestKernel'];
    });
    const info = await initBackend({ backend: ['webgl', 'cpu'] });
    expect(info.name).toBe('cpu');
    expect(info.kernelFills).toEqual(['TestKernel']);
    expect(info.skipped[0]?.name).toBe('webgl');
    expect(calls).toBe(1);
    const none = await initBackend({ backend: 'cpu', kernelFills: false });
    expect(none.kernelFills).toEqual([]);
    expect(applyKernelFills('no-such-backend')).toEqual([]);
    registerKernelFill('cpu', () => []);
  });

  it('on wasm, installs the conv-gradient fills so a conv filter gradient works', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 1, 4], 0, 1, 'float32', 2);
    const gw = tf.grad((f) => tf.sum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')))(w);
    expect(gw.shape).toEqual([3, 3, 1, 4]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    tf.dispose([x, w, gw]);
  });
});
