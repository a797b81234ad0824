import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2dBias } from '../conv.js';
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import { expectClose, onCpu, size, values } from './conv-check.test-util.js';
import { convHelpers } from './conv-threads.js';
import { clearFilterCache } from './filter-cache.js';
import { loadNativeKernels, nativeKernelsStatus } from './native-kernels.js';
import { heapMemory, type WasmHeapBackend } from './shared.js';
import {
  convVariantAvailable,
  enableRelaxedSimd,
  fmaFilterGrad,
  fmaInputGrad,
  registerWasmFmaConvKernels,
  relaxedSimdAvailable,
  unregisterWasmFmaConvKernels,
  wasmConvVariant,
  wasmFmaConvActive,
} from './wasm-conv-fma.js';
import { registerWasmKernelFills } from './wasm-conv-grads.js';

type Shape4 = [number, number, number, number];

/**
 * Every variant runs every shape test: both wasm modules (the FMA one needs the V8 flag initBackend
 * sets) and @ebmjs/native-kernels's addon, which the workspace's install builds (required here unless
 * that build was switched off with EBMJS_NATIVE_KERNELS_BUILD=0).
 */
const VARIANTS = ['fma', 'muladd', 'native'] as const;
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  x: Shape4;
  w: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dil?: number | [number, number];
}

/** conv2d and conv2d + bias (FusedConv2D) on the active backend; `abs`: from |x|, |w|, |b|. */
function forward(c: Case, abs: boolean): { conv: Float32Array; fused: Float32Array } {
  return tf.tidy(() => {
    const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
    const x = tf.tensor4d(prep(values(size(c.x), 5)), c.x);
    const w = tf.tensor4d(prep(values(size(c.w), 17)), c.w);
    const b = tf.tensor1d(prep(values(c.w[3], 29)));
    return {
      conv: tf.conv2d(x, w, c.strides, c.pad, 'NHWC', c.dil ?? 1).dataSync() as Float32Array,
      fused: tf.fused
        .conv2d({ x, filter: w, strides: c.strides, pad: c.pad, bias: b, dilations: c.dil ?? 1 })
        .dataSync() as Float32Array,
    };
  });
}

const label = (c: Case) =>
  `x=${c.x} w=${c.w} s=${c.strides} pad=${JSON.stringify(c.pad)} dil=${c.dil ?? 1}`;

/**
 * Shapes the kernel covers: strides 1-3 (also unequal), same/valid/numeric/explicit padding,
 * kernels 1-5 (also non-square), input channels 1-70 (runs of kw * cin floats of any length),
 * output channels 4-72 (a last panel of 4 or 8), and output pixel counts that are and are not
 * multiples of the 4-pixel tile and the 64-pixel block (1, 3, 63, 65, 200 ...), dilations 2-3.
 */
const CASES: Case[] = [
  { x: [128, 32, 32, 1], w: [5, 5, 1, 16], strides: 2, pad: 'same' },
  { x: [4, 16, 16, 16], w: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 32], w: [3, 3, 32, 64], strides: 2, pad: 'same' },
  { x: [5, 4, 4, 64], w: [3, 3, 64, 64], strides: 2, pad: 'same' },
  { x: [2, 8, 8, 32], w: [2, 2, 32, 32], strides: 1, pad: 'valid' },
  { x: [2, 16, 16, 16], w: [3, 3, 16, 4], strides: 1, pad: 'valid' },
  { x: [1, 1, 1, 7], w: [1, 1, 7, 4], strides: 1, pad: 'valid' },
  { x: [1, 3, 1, 5], w: [1, 1, 5, 12], strides: 1, pad: 'valid' },
  { x: [1, 9, 7, 70], w: [1, 1, 70, 8], strides: 1, pad: 'valid' },
  {
    x: [3, 7, 5, 3],
    w: [3, 2, 3, 12],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 9, 9, 5], w: [4, 4, 5, 4], strides: 3, pad: 'same' },
  { x: [2, 11, 13, 6], w: [5, 3, 6, 20], strides: [2, 3], pad: 'valid' },
  { x: [1, 10, 10, 2], w: [3, 3, 2, 36], strides: 1, pad: 1 },
  { x: [5, 6, 6, 16], w: [1, 1, 16, 72], strides: 1, pad: 'same' },
  { x: [1, 2, 2, 64], w: [2, 2, 64, 128], strides: 1, pad: 'valid' },
  { x: [1, 15, 13, 9], w: [3, 3, 9, 8], strides: 1, pad: 'same' }, // 195 pixels: partial block
  // dilation: runs of cin floats per tap; the filter gradient's shape (batch as channels)
  { x: [2, 9, 9, 5], w: [3, 3, 5, 8], strides: 1, pad: 'same', dil: 2 },
  { x: [1, 11, 13, 3], w: [2, 3, 3, 12], strides: 1, pad: 'valid', dil: [3, 2] },
  { x: [4, 8, 8, 64], w: [4, 4, 64, 8], strides: 1, pad: 'valid', dil: 2 },
];

/**
 * Input gradients the direct sub-pixel path covers (input channels a multiple of 4): the book's
 * layers, strides 1-3 (also unequal), kernels 1-5 and smaller than the stride (phases no tap
 * reaches), odd sizes, numeric and explicit padding (also wider than the kernel), a last panel of 4;
 * and one input channel.
 */
const IGRAD_CASES: Case[] = [
  { x: [3, 16, 16, 16], w: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [2, 8, 8, 32], w: [3, 3, 32, 64], strides: 2, pad: 'same' },
  { x: [2, 4, 4, 64], w: [3, 3, 64, 64], strides: 2, pad: 'same' },
  { x: [2, 7, 9, 4], w: [3, 3, 4, 5], strides: 2, pad: 'valid' },
  { x: [1, 9, 7, 8], w: [5, 3, 8, 2], strides: [1, 3], pad: 'same' },
  { x: [2, 10, 11, 4], w: [2, 1, 4, 3], strides: 3, pad: 'same' },
  { x: [2, 8, 7, 4], w: [3, 3, 4, 2], strides: 2, pad: 1 },
  {
    x: [1, 6, 6, 4],
    w: [3, 3, 4, 2],
    strides: 2,
    pad: [
      [0, 0],
      [4, 4],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [3, 12, 12, 4], w: [1, 1, 4, 4], strides: 1, pad: 'valid' },
  { x: [2, 9, 9, 12], w: [4, 4, 12, 6], strides: 3, pad: 'same' },
  { x: [1, 5, 5, 4], w: [5, 5, 4, 3], strides: 2, pad: 'same' },
  // one input channel (the one-channel kernel conv1): the book's input layer, odd sizes, kernel
  // < stride, stride 1 with explicit padding, a partial last tile
  { x: [2, 32, 32, 1], w: [5, 5, 1, 16], strides: 2, pad: 'same' },
  { x: [1, 9, 7, 1], w: [3, 3, 1, 4], strides: 2, pad: 'valid' },
  { x: [2, 10, 11, 1], w: [2, 1, 1, 8], strides: 3, pad: 'same' },
  {
    x: [1, 5, 7, 1],
    w: [3, 2, 1, 12],
    strides: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
];

/**
 * Filter gradients the direct kernel covers (output channels a multiple of 8): the book's layers
 * (one input channel for the first), odd sizes, strides 1-3 (also unequal), valid, same, numeric
 * and explicit padding, input channels off the 4-row tile, rows (kh kw cin) off the tile.
 */
const FGRAD_CASES: Case[] = [
  { x: [6, 32, 32, 1], w: [5, 5, 1, 16], strides: 2, pad: 'same' },
  { x: [5, 16, 16, 16], w: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [3, 8, 8, 32], w: [3, 3, 32, 64], strides: 2, pad: 'same' },
  { x: [9, 4, 4, 64], w: [3, 3, 64, 64], strides: 2, pad: 'same' },
  { x: [2, 7, 9, 3], w: [3, 3, 3, 8], strides: 2, pad: 'valid' },
  { x: [1, 9, 7, 5], w: [5, 3, 5, 24], strides: [1, 3], pad: 'same' },
  { x: [2, 10, 11, 2], w: [2, 1, 2, 8], strides: 3, pad: 'same' },
  { x: [3, 8, 7, 6], w: [3, 3, 6, 16], strides: 2, pad: 1 },
  {
    x: [1, 6, 6, 2],
    w: [3, 3, 2, 8],
    strides: 2,
    pad: [
      [0, 0],
      [4, 4],
      [0, 3],
      [0, 0],
    ],
  },
];

describe('ebmjs convolutions on wasm: modules, variants, registration, options', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
  });
  afterAll(() => {
    unregisterWasmFmaConvKernels();
  });

  it('is available here: Node 20 with the V8 flag it sets, on a CPU with or without FMA', async () => {
    expect(await enableRelaxedSimd()).toBe(true);
    expect(relaxedSimdAvailable()).toBe(true);
    expect(wasmFmaConvActive()).toBe(true);
  });

  it('both generated modules export what the kernels call', async () => {
    // (that the bytes are up to date with wat/conv.mjs: build-wat --check in the activation test)
    for (const file of ['./wasm-conv.generated.js', './wasm-conv-muladd.generated.js']) {
      const { PLAIN_MEMORY_WASM } = (await import(file)) as { PLAIN_MEMORY_WASM: string };
      const module = new WebAssembly.Module(
        Uint8Array.from(atob(PLAIN_MEMORY_WASM), (c) => c.charCodeAt(0)),
      );
      expect(
        WebAssembly.Module.exports(module)
          .map((e) => e.name)
          .sort(),
        file,
      ).toEqual(['conv', 'conv1', 'conv4', 'fgrad', 'pad']);
    }
  });

  it('the two variants really run: different bits on a covered convolution, both close to cpu', async () => {
    const c = CASES[1]!;
    registerWasmFmaConvKernels('muladd');
    const muladd = forward(c, false);
    registerWasmFmaConvKernels('fma');
    const fma = forward(c, false);
    expect(Array.from(muladd.conv)).not.toEqual(Array.from(fma.conv));
    const ref = await onCpu(() => forward(c, false));
    const abs = await onCpu(() => forward(c, true));
    expectClose(muladd.conv, ref.conv, abs.conv, 'muladd');
    expectClose(fma.conv, ref.conv, abs.conv, 'fma');
  });

  it('rejects an unknown variant with a typed error, keeping the registered one', () => {
    registerWasmFmaConvKernels('fma');
    expect(() => registerWasmFmaConvKernels('avx' as unknown as 'fma')).toThrow(
      InvalidArgumentError,
    );
    expect(wasmConvVariant()).toBe('fma');
    expect(convVariantAvailable('muladd')).toBe(true);
  });

  it('register/unregister are idempotent and restore the stock kernels', () => {
    const stock = () => [tf.getKernel('Conv2D', 'wasm'), tf.getKernel('FusedConv2D', 'wasm')];
    expect(registerWasmFmaConvKernels()).toEqual([]);
    expect(unregisterWasmFmaConvKernels()).toEqual(['Conv2D', 'FusedConv2D']);
    const restored = stock();
    expect(unregisterWasmFmaConvKernels()).toEqual([]);
    expect(wasmFmaConvActive()).toBe(false);
    expect(registerWasmFmaConvKernels()).toEqual(['Conv2D', 'FusedConv2D']);
    expect(stock()).not.toEqual(restored);
    unregisterWasmFmaConvKernels();
    expect(stock()).toEqual(restored);
    registerWasmFmaConvKernels();
  });

  it('initBackend: convKernels, relaxedSimd, nativeKernels and their variables, checked', async () => {
    const chose = async (options: Parameters<typeof initBackend>[0]) => {
      const info = await initBackend({ backend: 'wasm', threads: 1, ...options });
      expect(info.convVariant ?? null).toBe(wasmConvVariant());
      expect(info.convKernels).toBe(info.convVariant === undefined ? 'xnnpack' : 'ebmjs');
      expect(info.relaxedSimd).toBe(info.convVariant === 'fma');
      return info.convVariant ?? 'xnnpack';
    };
    // the workspace builds @ebmjs/native-kernels: the default on one thread is the native kernels;
    // asking for relaxed SIMD (on in this process: the flag set above) or not picks a wasm module
    expect(await chose({})).toBe('native');
    expect(await chose({ relaxedSimd: true })).toBe('fma');
    expect(await chose({ relaxedSimd: false })).toBe('muladd');
    expect(await chose({ nativeKernels: false })).toBe('fma');
    expect(await chose({ nativeKernels: true, relaxedSimd: false })).toBe('native');
    expect(await chose({ convKernels: 'xnnpack' })).toBe('xnnpack');
    // kernelFills names what this call replaced
    const info = await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
    expect(info.kernelFills).toEqual(expect.arrayContaining(['Conv2D', 'FusedConv2D']));
    expect(await chose({ convKernels: 'ebmjs', relaxedSimd: false })).toBe('muladd');
    await expect(
      initBackend({ backend: 'wasm', relaxedSimd: 'yes' as unknown as boolean }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      initBackend({ backend: 'wasm', convKernels: 'mkl' as unknown as 'ebmjs' }),
    ).rejects.toThrow(/options\.convKernels/);
    await expect(
      initBackend({ backend: 'wasm', nativeKernels: 1 as unknown as boolean }),
    ).rejects.toThrow(/options\.nativeKernels/);
    // the native kernels are ebmjs's convolutions: refused before any work
    await expect(
      initBackend({ backend: 'wasm', nativeKernels: true, convKernels: 'xnnpack' }),
    ).rejects.toThrow(/convKernels/);
    await expect(initBackend({ backend: 'cpu', nativeKernels: true })).rejects.toThrow(
      UnsupportedError,
    );
    const env = process.env;
    try {
      process.env = { ...env, EBMJS_WASM_RELAXED_SIMD: '0' };
      expect(await chose({})).toBe('muladd');
      process.env = { ...env, EBMJS_WASM_RELAXED_SIMD: '1' };
      expect(await chose({})).toBe('fma');
      process.env = { ...env, EBMJS_NATIVE_KERNELS: '0' };
      expect(await chose({})).toBe('fma');
      process.env = { ...env, EBMJS_NATIVE_KERNELS: '1' };
      expect(await chose({ relaxedSimd: true })).toBe('native');
      process.env = { ...env, EBMJS_WASM_CONV: 'xnnpack' };
      expect(await chose({})).toBe('xnnpack');
      // the option wins over the variable
      expect(await chose({ convKernels: 'ebmjs' })).toBe('native');
      process.env = { ...env, EBMJS_WASM_RELAXED_SIMD: 'fast' };
      await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(/EBMJS_WASM_RELAXED_SIMD/);
      process.env = { ...env, EBMJS_WASM_CONV: 'fast' };
      await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(/EBMJS_WASM_CONV/);
      process.env = { ...env, EBMJS_NATIVE_KERNELS: 'yes' };
      await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(/EBMJS_NATIVE_KERNELS/);
    } finally {
      process.env = env;
    }
  });
});

describe.each(VARIANTS)('ebmjs convolution, %s variant (wasm)', (variant) => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
    if (variant === 'native') {
      expect(await loadNativeKernels(), nativeKernelsStatus().reason).toBe(true);
    }
    registerWasmFmaConvKernels(variant);
    expect(wasmConvVariant()).toBe(variant);
  });
  afterAll(() => {
    unregisterWasmFmaConvKernels();
  });

  it.each(CASES)('Conv2D and FusedConv2D equal the cpu backend: %j', async (c) => {
    const got = forward(c, false);
    const ref = await onCpu(() => forward(c, false));
    const abs = await onCpu(() => forward(c, true));
    expectClose(got.conv, ref.conv, abs.conv, `conv ${label(c)}`);
    expectClose(got.fused, ref.fused, abs.fused, `fused ${label(c)}`);
  });

  it('leaves to the stock kernels what it does not cover: same bits as without it', () => {
    const x = tf.tensor4d(values(2 * 6 * 6 * 3, 3), [2, 6, 6, 3]);
    const w6 = tf.tensor4d(values(3 * 3 * 3 * 6, 4), [3, 3, 3, 6]); // 6 output channels
    const w8 = tf.tensor4d(values(3 * 3 * 3 * 8, 4), [3, 3, 3, 8]);
    const b8 = tf.tensor1d(values(8, 9));
    const runs = () => [
      tf.conv2d(x, w6, 1, 'same'),
      tf.fused.conv2d({ x, filter: w8, strides: 1, pad: 'same', bias: b8, activation: 'relu' }),
      tf.fused.conv2d({ x, filter: w8, strides: 1, pad: 'same', activation: 'relu6' }),
    ];
    const ours = runs().map((t) => Array.from(t.dataSync()));
    unregisterWasmFmaConvKernels();
    const stock = runs().map((t) => Array.from(t.dataSync()));
    registerWasmFmaConvKernels(variant);
    expect(ours).toEqual(stock);
    // A covered call runs ebmjs's kernel: it uploads the new filter's panels (kernels/filter-cache)
    // beside its output, where the stock kernel makes the output only.
    const be = tf.backend() as unknown as { numDataIds(): number };
    const newBuffers = (f: () => tf.Tensor) => {
      clearFilterCache(); // (a miss also frees the panels of filters disposed before)
      const before = be.numDataIds();
      const y = f();
      const added = be.numDataIds() - before;
      y.dispose();
      return added;
    };
    const fresh = () => tf.tensor4d(values(3 * 3 * 3 * 8, 5), [3, 3, 3, 8]);
    const w = [fresh(), fresh()];
    expect(newBuffers(() => tf.conv2d(x, w[0]!, 1, 'same'))).toBe(2);
    unregisterWasmFmaConvKernels();
    expect(newBuffers(() => tf.conv2d(x, w[1]!, 1, 'same'))).toBe(1);
    registerWasmFmaConvKernels(variant);
    tf.dispose(w);
    if (variant === 'fma') {
      // and the FMA kernel's bits are not XNNPACK's (one rounding per multiply-add). The muladd
      // variant gives XNNPACK's bits on this shape: the same summation order, bias first.
      const covered = () => Array.from(tf.conv2d(x, w8, 1, 'same').dataSync());
      const fma = covered();
      unregisterWasmFmaConvKernels();
      const xnn = covered();
      registerWasmFmaConvKernels(variant);
      expect(fma).not.toEqual(xnn);
    }
    tf.dispose([x, w6, w8, b8]);
  });

  it('input and filter gradients through conv2dBias (fills on FMA convs) equal cpu', async () => {
    const c: Case = { x: [3, 12, 12, 4], w: [3, 3, 4, 8], strides: 2, pad: 'same' };
    const grads = (abs: boolean) =>
      tf.tidy(() => {
        const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
        const x = tf.tensor4d(prep(values(size(c.x), 1)), c.x);
        const w = tf.tensor4d(prep(values(size(c.w), 2)), c.w);
        const b = tf.tensor1d(prep(values(8, 3)));
        const dy = tf.tensor4d(prep(values(3 * 6 * 6 * 8, 4)), [3, 6, 6, 8]);
        const f = (a: tf.Tensor, k: tf.Tensor) =>
          tf.sum(tf.mul(conv2dBias(a as tf.Tensor4D, k as tf.Tensor4D, b, 2, 'same'), dy));
        const [gx, gw] = tf.grads(f)([x, w]);
        return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
      });
    const got = grads(false);
    const ref = await onCpu(() => grads(false));
    const abs = await onCpu(() => grads(true));
    expectClose(got[0]!, ref[0]!, abs[0]!, 'dx');
    expectClose(got[1]!, ref[1]!, abs[1]!, 'dw');
  });

  it.each(IGRAD_CASES)(
    'the input gradient runs its sub-pixel phases on the FMA kernel, in place, equal to cpu: %j',
    async (c) => {
      const dxOf = (abs: boolean) =>
        tf.tidy(() => {
          const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
          const w = tf.tensor4d(prep(values(size(c.w), 7)), c.w);
          const yShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.strides, c.pad).shape;
          const dy = tf.tensor4d(prep(values(size(yShape), 8)), yShape as Shape4);
          return tf.conv2dTranspose(dy, w, c.x, c.strides, c.pad).dataSync() as Float32Array;
        });
      const got = dxOf(false);
      // the kernel took the direct path: fmaInputGrad covers the call and gives the same bits
      const direct = tf.tidy(() => {
        const w = tf.tensor4d(values(size(c.w), 7), c.w);
        const yShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.strides, c.pad).shape;
        const dy = tf.tensor4d(values(size(yShape), 8), yShape as Shape4);
        const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.strides, 1, c.pad);
        const be = tf.backend() as unknown as WasmHeapBackend & tf.KernelBackend;
        const out = fmaInputGrad(be, dy, w, info);
        expect(out).not.toBeNull();
        const v = be.readSync(out!.dataId) as Float32Array;
        be.disposeData(out!.dataId);
        return Array.from(v);
      });
      expect(Array.from(got)).toEqual(direct);
      const ref = await onCpu(() => dxOf(false));
      const abs = await onCpu(() => dxOf(true));
      expectClose(got, ref, abs, `dx ${label(c)}`);
    },
  );

  it.each(FGRAD_CASES)(
    'the filter gradient runs on the FMA kernel from NHWC x and dy, equal to cpu: %j',
    async (c) => {
      const dwOf = (abs: boolean) =>
        tf.tidy(() => {
          const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
          const x = tf.tensor4d(prep(values(size(c.x), 5)), c.x);
          const yShape = tf.conv2d(x, tf.zeros(c.w) as tf.Tensor4D, c.strides, c.pad).shape;
          const dy = tf.tensor4d(prep(values(size(yShape), 6)), yShape as Shape4);
          const f = (k: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, c.strides, c.pad), dy));
          return tf.grad(f)(tf.zeros(c.w)).dataSync() as Float32Array;
        });
      const got = dwOf(false);
      const direct = tf.tidy(() => {
        const x = tf.tensor4d(values(size(c.x), 5), c.x);
        const yShape = tf.conv2d(x, tf.zeros(c.w) as tf.Tensor4D, c.strides, c.pad).shape;
        const dy = tf.tensor4d(values(size(yShape), 6), yShape as Shape4);
        const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.strides, 1, c.pad);
        const be = tf.backend() as unknown as WasmHeapBackend & tf.KernelBackend;
        const out = fmaFilterGrad(be, x, dy, info);
        expect(out).not.toBeNull();
        const v = be.readSync(out!.dataId) as Float32Array;
        be.disposeData(out!.dataId);
        return Array.from(v);
      });
      expect(Array.from(got)).toEqual(direct);
      const ref = await onCpu(() => dwOf(false));
      const abs = await onCpu(() => dwOf(true));
      expectClose(got, ref, abs, `dw ${label(c)}`);
    },
  );

  it('leaves filter gradients with output channels not a multiple of 8 to the transposing fill', () => {
    const x = tf.tensor4d(values(2 * 8 * 8 * 4, 1), [2, 8, 8, 4]);
    const dy = tf.tensor4d(values(2 * 4 * 4 * 12, 2), [2, 4, 4, 12]);
    const info = tf.backend_util.computeConv2DInfo([2, 8, 8, 4], [3, 3, 4, 12], 2, 1, 'same');
    expect(fmaFilterGrad(tf.backend() as unknown as WasmHeapBackend, x, dy, info)).toBeNull();
    tf.dispose([x, dy]);
  });

  it('fmaGradients: false keeps the Conv2D-based fills (for comparison), checked', async () => {
    const c: Case = { x: [2, 16, 16, 16], w: [3, 3, 16, 32], strides: 2, pad: 'same' };
    const grads = (abs = false) =>
      tf.tidy(() => {
        const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
        const x = tf.tensor4d(prep(values(size(c.x), 1)), c.x);
        const w = tf.tensor4d(prep(values(size(c.w), 2)), c.w);
        const f = (a: tf.Tensor, k: tf.Tensor) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 2, 'same'), 0.5));
        return tf
          .grads(f)([x, w])
          .map((g) => g.dataSync() as Float32Array);
      });
    const direct = grads();
    registerWasmKernelFills({ fmaGradients: false });
    const viaConv2D = grads();
    registerWasmKernelFills({ fmaGradients: true });
    expect(() => registerWasmKernelFills({ fmaGradients: 1 as unknown as boolean })).toThrow(
      InvalidArgumentError,
    );
    const ref = await onCpu(() => grads());
    const abs = await onCpu(() => grads(true));
    for (const [k, got] of [direct, viaConv2D].entries()) {
      expectClose(got[0]!, ref[0]!, abs[0]!, `dx ${k}`);
      expectClose(got[1]!, ref[1]!, abs[1]!, `dw ${k}`);
    }
    // different arithmetic (the fills sum zero taps and transposed layouts): different bits
    expect(Array.from(direct[1]!)).not.toEqual(Array.from(viaConv2D[1]!));
  });

  it('leaves input gradients it does not cover (3 input channels) to the other methods', () => {
    const w = tf.tensor4d(values(3 * 3 * 3 * 8, 1), [3, 3, 3, 8]);
    const dy = tf.tensor4d(values(2 * 4 * 4 * 8, 2), [2, 4, 4, 8]);
    const info = tf.backend_util.computeConv2DInfo([2, 8, 8, 3], [3, 3, 3, 8], 2, 1, 'same');
    const be = tf.backend() as unknown as WasmHeapBackend;
    expect(fmaInputGrad(be, dy, w, info)).toBeNull();
    tf.dispose([w, dy]);
  });

  it('keeps no tensors and frees its scratch and filter panels', () => {
    const x = tf.tensor4d(values(2 * 9 * 9 * 8, 1), [2, 9, 9, 8]);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const run = (w: tf.Tensor4D) => tf.tidy(() => tf.conv2d(x, w, 2, 'same').dataSync());
    const w0 = tf.tensor4d(values(3 * 3 * 8 * 12, 2), [3, 3, 8, 12]);
    run(w0);
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 10; i++) run(w0);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    // a new filter each time (a weight update): the panels of disposed filters are freed
    w0.dispose();
    for (let i = 0; i < 10; i++) {
      const w = tf.tensor4d(values(3 * 3 * 8 * 12, 10 + i), [3, 3, 8, 12]);
      run(w);
      w.dispose();
    }
    // one filter's panels may stay cached until the next miss; the disposed filter itself is gone
    expect(tf.memory().numTensors).toBe(tensors - 1);
    expect(backend.numDataIds()).toBeLessThanOrEqual(ids);
    x.dispose();
  });

  it('the direct input- and filter-gradient paths keep no tensors or buffers', () => {
    const x = tf.tensor4d(values(2 * 16 * 16 * 1, 1), [2, 16, 16, 1]);
    const w1 = tf.tensor4d(values(5 * 5 * 16, 2), [5, 5, 1, 16]);
    const w2 = tf.tensor4d(values(3 * 3 * 16 * 32, 3), [3, 3, 16, 32]);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const run = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, k1: tf.Tensor, k2: tf.Tensor) =>
          tf.sum(
            tf.conv2d(
              tf.conv2d(a as tf.Tensor4D, k1 as tf.Tensor4D, 2, 'same'),
              k2 as tf.Tensor4D,
              2,
              'same',
            ),
          );
        for (const g of tf.grads(f)([x, w1, w2])) g.dataSync();
      });
    run(); // fills the filter cache
    const tensors = tf.memory().numTensors;
    const ids = backend.numDataIds();
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(ids);
    tf.dispose([x, w1, w2]);
  });
});

/** Gradients large enough to be split between threads (the second: the conv1 phases). */
const SPLIT_GRAD_CASES: Case[] = [
  { x: [16, 16, 16, 16], w: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [8, 32, 32, 1], w: [5, 5, 1, 16], strides: 2, pad: 'same' },
];

/** dx and dw of sum(conv2d(x, w)^2), as arrays. */
function inputAndFilterGrads(c: Case): number[][] {
  return tf.tidy(() => {
    const x = tf.tensor4d(values(size(c.x), 3), c.x);
    const w = tf.tensor4d(values(size(c.w), 4), c.w);
    const f = (a: tf.Tensor, k: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, c.strides, c.pad)));
    return tf
      .grads(f)([x, w])
      .map((g) => Array.from(g.dataSync()));
  });
}

describe('native convolutions on their own helper threads (Node)', () => {
  afterAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1 });
  });

  it('threads: 2 splits every kernel with a native helper: same bits as one thread', async () => {
    const cases = CASES.slice(0, 5);
    const run = () => ({
      fwd: cases.map((c) => forward(c, false)),
      grads: SPLIT_GRAD_CASES.map(inputAndFilterGrads),
    });
    const info1 = await initBackend({ backend: 'wasm', threads: 1 });
    expect([info1.convVariant, info1.threadCount, nativeKernelsStatus().threads]).toEqual([
      'native',
      1,
      1,
    ]);
    const one = run();
    const info2 = await initBackend({ backend: 'wasm', threads: 2 });
    // tfjs stays single-threaded (a plain heap); the convolutions get the threads
    expect([info2.convVariant, info2.threadCount, info2.threadedBuild]).toEqual([
      'native',
      2,
      false,
    ]);
    expect(nativeKernelsStatus().threads).toBe(2);
    const tensors = tf.memory().numTensors;
    const two = run();
    expect(tf.memory().numTensors).toBe(tensors);
    cases.forEach((c, i) => {
      // each output is computed by one thread with the same code
      expect(Array.from(two.fwd[i]!.conv), label(c)).toEqual(Array.from(one.fwd[i]!.conv));
      expect(Array.from(two.fwd[i]!.fused), label(c)).toEqual(Array.from(one.fwd[i]!.fused));
    });
    SPLIT_GRAD_CASES.forEach((c, i) => {
      expect(two.grads[i]![0], `dx ${label(c)}`).toEqual(one.grads[i]![0]);
      expect(two.grads[i]![1], `dw ${label(c)}`).toEqual(one.grads[i]![1]);
    });
    const c = CASES[1]!;
    const ref = await onCpu(() => forward(c, false));
    const abs = await onCpu(() => forward(c, true));
    expectClose(two.fwd[1]!.conv, ref.conv, abs.conv, `conv ${label(c)} on 2 native threads`);
    // a wasm variant stops the native helpers
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
    expect(nativeKernelsStatus().threads).toBe(1);
  });

  it('by default leaves a running threaded backend (and its tensors) alone', async () => {
    await initBackend({ backend: 'wasm', threads: 2, nativeKernels: false });
    const kept = tf.tensor1d([1, 2, 3]);
    const info = await initBackend({ backend: 'wasm' });
    expect([info.threadCount, info.threadedBuild, info.convVariant]).toEqual([2, true, undefined]);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
    kept.dispose();
    // asked for, the native kernels rebuild it single-threaded
    expect((await initBackend({ backend: 'wasm', nativeKernels: true })).convVariant).toBe(
      'native',
    );
  });
});

describe('FMA convolution on helper threads (Node, threaded wasm build)', () => {
  const helpers = () => convHelpers(heapMemory(tf.backend() as unknown as WasmHeapBackend));
  const xnnpackThreads = () =>
    (
      tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }
    ).wasm.tfjs.getThreadsCount();
  afterAll(async () => {
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: false });
  });

  // (starting the threaded build and its helper takes 3-5 s here)
  it('splits each convolution with a helper thread: same bits as one thread, equal to cpu', {
    timeout: 30_000,
  }, async () => {
    const cases = CASES.slice(0, 5);
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
    expect(helpers()).toBe(0);
    const one = cases.map((c) => forward(c, false));
    const info = await initBackend({ backend: 'wasm', threads: 2, relaxedSimd: true });
    expect(info.threadCount).toBe(2);
    expect(info.relaxedSimd).toBe(true);
    expect(helpers()).toBe(1);
    // XNNPACK's pool keeps one thread (its spinning threads would take the helper's core)
    expect(xnnpackThreads()).toBe(1);
    const two = cases.map((c) => forward(c, false));
    cases.forEach((c, i) => {
      // each output pixel is computed by one thread with the same arithmetic
      expect(Array.from(two[i]!.conv), label(c)).toEqual(Array.from(one[i]!.conv));
      expect(Array.from(two[i]!.fused), label(c)).toEqual(Array.from(one[i]!.fused));
    });
    const c = CASES[1]!;
    const ref = await onCpu(() => forward(c, false));
    const abs = await onCpu(() => forward(c, true));
    expectClose(two[1]!.conv, ref.conv, abs.conv, `conv ${label(c)} on 2 threads`);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) forward(CASES[0]!, false);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('splits the input and filter gradients too: same bits as one thread', async () => {
    const gradCases = SPLIT_GRAD_CASES;
    const grads = inputAndFilterGrads;
    await initBackend({ backend: 'wasm', threads: 1, relaxedSimd: true });
    const one = gradCases.map(grads);
    await initBackend({ backend: 'wasm', threads: 2, relaxedSimd: true });
    expect(helpers()).toBe(1);
    const two = gradCases.map(grads);
    gradCases.forEach((c, i) => {
      expect(two[i]![0], `dx ${label(c)}`).toEqual(one[i]![0]);
      expect(two[i]![1], `dw ${label(c)}`).toEqual(one[i]![1]);
    });
  });

  it('stops its helpers (and gives XNNPACK the threads back) without the FMA kernels', async () => {
    await initBackend({ backend: 'wasm', threads: 2, relaxedSimd: true });
    expect(helpers()).toBe(1);
    const info = await initBackend({ backend: 'wasm', threads: 2, relaxedSimd: false });
    expect(info.relaxedSimd).toBe(false);
    expect(helpers()).toBe(0);
    expect(xnnpackThreads()).toBe(2);
    expect(wasmFmaConvActive()).toBe(false);
  });
});
