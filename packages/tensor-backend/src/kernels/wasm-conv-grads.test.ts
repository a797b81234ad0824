import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import { expectClose, onCpu, size, values } from './conv-check.test-util.js';
import {
  registerWasmKernelFills,
  unregisterWasmKernelFills,
  type WasmInputGradMethod,
} from './wasm-conv-grads.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

interface Case {
  x: Shape4;
  w: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

/** dx and dw of sum(conv2d(x, w) * dy) on the active backend, plus |x|,|w|,|dy| versions. */
function grads(c: Case, abs: boolean): { dx: Float32Array; dw: Float32Array; dxShape: number[] } {
  return tf.tidy(() => {
    const prep = (v: Float32Array) => (abs ? v.map(Math.abs) : v);
    const x = tf.tensor4d(prep(values(size(c.x), 11)), c.x);
    const w = tf.tensor4d(prep(values(size(c.w), 23)), c.w);
    const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
    const dy = tf.tensor(prep(values(size(yShape), 37)), yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy));
    const [gx, gw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
    return {
      dx: gx.dataSync() as Float32Array,
      dw: gw.dataSync() as Float32Array,
      dxShape: gx.shape,
    };
  });
}

async function compareWithCpu(c: Case): Promise<void> {
  const label = `x=${c.x} w=${c.w} s=${c.strides} pad=${JSON.stringify(c.pad)}`;
  const got = grads(c, false);
  const ref = await onCpu(() => grads(c, false));
  const absRef = await onCpu(() => grads(c, true));
  expect(got.dxShape).toEqual(c.x);
  expectClose(got.dx, ref.dx, absRef.dx, `dx ${label}`);
  expectClose(got.dw, ref.dw, absRef.dw, `dw ${label}`);
}

/** The shape grid: strides 1/2/3, same/valid, kernels 1/3/5, odd and even sizes, batch 1 and 3. */
function grid(): Case[] {
  const cases: Case[] = [];
  const sizes: [number, number][] = [
    [7, 9],
    [32, 32],
  ];
  let i = 0;
  for (const [h, w] of sizes) {
    for (const s of [1, 2, 3]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const k of [1, 3, 5]) {
          // Cycle batch (1, 3) and channels (1..5) so every value meets every stride/pad/kernel.
          const n = i % 2 === 0 ? 1 : 3;
          const ci = (i % 5) + 1;
          const co = ((i * 2 + 3) % 5) + 1;
          i++;
          cases.push({ x: [n, h, w, ci], w: [k, k, ci, co], strides: s, pad });
        }
      }
    }
  }
  return cases;
}

const extraCases: Case[] = [
  // Asymmetric explicit padding and unequal strides.
  {
    x: [2, 7, 9, 2],
    w: [3, 3, 2, 3],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [1, 9, 7, 3], w: [5, 3, 3, 2], strides: [1, 3], pad: 'same' },
  { x: [3, 8, 8, 4], w: [2, 2, 4, 5], strides: 2, pad: 'valid' },
  // Kernel smaller than the stride leaves output phases that no tap reaches.
  { x: [2, 10, 11, 2], w: [2, 1, 2, 3], strides: 3, pad: 'same' },
  // Numeric (symmetric) padding.
  { x: [2, 8, 7, 2], w: [3, 3, 2, 2], strides: 2, pad: 1 },
  // Explicit padding larger than the kernel: some rows of dy only see padding.
  {
    x: [1, 6, 6, 2],
    w: [3, 3, 2, 2],
    strides: 2,
    pad: [
      [0, 0],
      [4, 4],
      [0, 3],
      [0, 0],
    ],
  },
];

let stockInputGrad: tf.KernelConfig | undefined;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  // Another test file in this process may have installed the fills already (shared registry).
  unregisterWasmKernelFills();
  stockInputGrad = tf.getKernel('Conv2DBackpropInput', 'wasm');
});

afterAll(async () => {
  // Leave the process as we found it: stock wasm kernels, fills registered again by whoever
  // calls registerWasmKernelFills()/initBackend() next.
  registerWasmKernelFills({ inputGradMethod: 'subpixel' });
  unregisterWasmKernelFills();
  await tf.setBackend('cpu');
});

describe('registerWasmKernelFills', () => {
  it('registers both kernels once, is idempotent, and unregister restores the stock kernels', () => {
    unregisterWasmKernelFills();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(stockInputGrad);

    expect(registerWasmKernelFills()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(registerWasmKernelFills()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(stockInputGrad);

    expect(unregisterWasmKernelFills()).toEqual(['Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(stockInputGrad);
    expect(unregisterWasmKernelFills()).toEqual([]);
    expect(registerWasmKernelFills()).toHaveLength(2);
  });

  it('rejects an unknown inputGradMethod with a typed error before registering anything', () => {
    unregisterWasmKernelFills();
    expect(() =>
      registerWasmKernelFills({ inputGradMethod: 'fft' as unknown as WasmInputGradMethod }),
    ).toThrow(InvalidArgumentError);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    registerWasmKernelFills();
  });

  it('stock tfjs-backend-wasm cannot compute a filter gradient (why the fill exists)', () => {
    unregisterWasmKernelFills();
    try {
      const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
      expect(() =>
        tf.grad((ww: tf.Tensor) => tf.sum(tf.conv2d(x, ww as tf.Tensor4D, 1, 'same')))(w),
      ).toThrow(/Conv2DBackpropFilter/);
      tf.dispose([x, w]);
    } finally {
      registerWasmKernelFills();
    }
  });

  it('throws UnsupportedError for NCHW, naming the attribute', () => {
    registerWasmKernelFills();
    const x = tf.ones([1, 2, 5, 5]);
    const dy = tf.ones([1, 2, 5, 5]);
    const w = tf.ones([3, 3, 2, 2]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW' };
    expect(() =>
      tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 2, 2] }),
    ).toThrow(UnsupportedError);
    expect(() =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          { ...attrs, inputShape: [1, 2, 5, 5] },
        ),
    ).toThrow(/dataFormat/);
    tf.dispose([x, dy, w]);
  });
});

describe('wasm conv gradients match the cpu backend', () => {
  beforeAll(() => {
    registerWasmKernelFills({ inputGradMethod: 'subpixel' });
  });

  const cases = grid();
  it(`on the ${cases.length}-case shape grid (sub-pixel input gradient)`, async () => {
    for (const c of cases) await compareWithCpu(c);
  });

  it('on explicit padding, unequal strides and kernel < stride', async () => {
    for (const c of extraCases) await compareWithCpu(c);
  });

  for (const method of ['subpixel-packed', 'subpixel-rows', 'dilated'] as const) {
    it(`with inputGradMethod '${method}' forced`, async () => {
      registerWasmKernelFills({ inputGradMethod: method });
      try {
        const subset = method === 'dilated' ? cases.filter((_, i) => i % 3 === 0) : cases;
        for (const c of [...subset, ...extraCases]) await compareWithCpu(c);
      } finally {
        registerWasmKernelFills({ inputGradMethod: 'subpixel' });
      }
    });
  }

  it('reuses repacked sub-kernels only for the same filter buffer (variables, new filters)', () => {
    const shape: Shape4 = [3, 3, 4, 8];
    const x = tf.tensor4d(values(2 * 9 * 9 * 4, 31), [2, 9, 9, 4]);
    const dy = tf.tensor4d(values(2 * 5 * 5 * 8, 37), [2, 5, 5, 8]);
    const dxOf = (w: tf.Tensor) =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((xx: tf.Tensor) =>
              tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), dy)),
            )(x)
            .dataSync(),
        ),
      );
    const w1 = tf.tensor4d(values(size(shape), 41), shape);
    const w2 = tf.tensor4d(values(size(shape), 43), shape);
    registerWasmKernelFills({ inputGradMethod: 'dilated' }); // no cache: the reference
    const ref1 = dxOf(w1);
    const ref2 = dxOf(w2);
    const close = (a: number[], b: number[]) =>
      a.every((v, i) => Math.abs(v - b[i]!) < 1e-4 * (1 + Math.abs(b[i]!)));
    for (const method of ['subpixel', 'subpixel-packed', 'subpixel-rows'] as const) {
      unregisterWasmKernelFills(); // also frees the cache
      const ids = tf.engine().backend.numDataIds();
      registerWasmKernelFills({ inputGradMethod: method });
      expect(close(dxOf(w1), ref1), `${method} w1`).toBe(true);
      expect(close(dxOf(w1), ref1), `${method} w1 again (cached)`).toBe(true);
      expect(close(dxOf(w2), ref2), `${method} w2`).toBe(true);
      expect(close(dxOf(w1), ref1), `${method} w1 after w2`).toBe(true);
      const v = tf.variable(w1);
      expect(close(dxOf(v), ref1), `${method} variable`).toBe(true);
      v.assign(w2);
      expect(close(dxOf(v), ref2), `${method} variable after assign`).toBe(true);
      v.dispose();
      unregisterWasmKernelFills();
      expect(tf.engine().backend.numDataIds(), `${method}: cache freed`).toBe(ids);
    }
    registerWasmKernelFills({ inputGradMethod: 'subpixel' });
    tf.dispose([x, dy, w1, w2]);
  });

  it('matches a finite difference on wasm alone (no cpu reference involved)', () => {
    // f(x) = <dy, conv(x, w)> is linear in x (and in w), so the central difference along v,
    // (f(x + h v) - f(x - h v)) / 2h, equals <grad, v> up to float32 rounding of f (|f| ~ 30,
    // rounding ~ 1e-5 absolute, divided by 2h = 2 -> ~1e-5; we allow 1e-3 relative).
    const c: Case = { x: [2, 9, 7, 3], w: [3, 3, 3, 4], strides: 2, pad: 'same' };
    const x = tf.tensor4d(values(size(c.x), 3), c.x);
    const w = tf.tensor4d(values(size(c.w), 5), c.w);
    const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
    const dy = tf.tensor(values(size(yShape), 7), yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), dy));
    const [gx, gw] = tf.grads(f)([x, w]);
    for (const [g, which] of [
      [gx, 'x'],
      [gw, 'w'],
    ] as const) {
      const base = which === 'x' ? x : w;
      const v = tf.tensor(values(base.size, 99), base.shape);
      const plus = tf.add(base, v);
      const minus = tf.sub(base, v);
      const fp = (which === 'x' ? f(plus, w) : f(x, plus)).dataSync()[0] as number;
      const fm = (which === 'x' ? f(minus, w) : f(x, minus)).dataSync()[0] as number;
      const fd = (fp - fm) / 2;
      const analytic = tf.sum(tf.mul(g as tf.Tensor, v)).dataSync()[0] as number;
      expect(Math.abs(fd - analytic) / Math.abs(analytic), `d/d${which}`).toBeLessThan(1e-3);
    }
    tf.dispose([x, w, dy, gx as tf.Tensor, gw as tf.Tensor]);
  });
});

describe('end to end on wasm', () => {
  beforeAll(() => {
    registerWasmKernelFills({ inputGradMethod: 'subpixel' });
  });

  it('trains a tf.layers conv model one SGD step exactly like the cpu backend', async () => {
    // tf.layers uses fused convolutions whose gradient always needs Conv2DBackpropFilter.
    const build = () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          inputShape: [9, 11, 2],
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
      );
      m.add(tf.layers.conv2d({ filters: 3, kernelSize: 5, strides: 1, padding: 'valid' }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 1 }));
      m.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      return m;
    };
    const step = async () => {
      const m = build();
      // Same initial weights on both backends.
      m.setWeights(m.getWeights().map((wt, i) => tf.tensor(values(wt.size, 100 + i), wt.shape)));
      const xs = tf.tensor4d(values(3 * 9 * 11 * 2, 1), [3, 9, 11, 2]);
      const ys = tf.tensor2d([0.5, -1, 2], [3, 1]);
      const loss = (await m.trainOnBatch(xs, ys)) as number;
      const after = m.getWeights().map((wt) => wt.dataSync().slice() as Float32Array);
      tf.dispose([xs, ys]);
      m.dispose();
      return { loss, after };
    };
    const wasm = await step();
    await tf.setBackend('cpu');
    const cpu = await step();
    await tf.setBackend('wasm');
    expect(Number.isFinite(wasm.loss)).toBe(true);
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    expect(wasm.after).toHaveLength(cpu.after.length);
    wasm.after.forEach((w, i) => {
      const ref = cpu.after[i] as Float32Array;
      // Weights are O(1) and the SGD update is lr * grad; float32 differences ~1e-6.
      for (let j = 0; j < ref.length; j++) {
        expect(Math.abs((w[j] as number) - (ref[j] as number)), `weight ${i}[${j}]`).toBeLessThan(
          1e-4,
        );
      }
    });
  });

  it('leaks no tensors and no backend buffers across repeated gradients', () => {
    const x = tf.tensor4d(values(3 * 16 * 16 * 2, 4), [3, 16, 16, 2]);
    const w1 = tf.tensor4d(values(5 * 5 * 2 * 4, 5), [5, 5, 2, 4]);
    const w2 = tf.tensor4d(values(3 * 3 * 4 * 3, 6), [3, 3, 4, 3]);
    const energy = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same');
      const s = tf.mul(h, tf.sigmoid(h)) as tf.Tensor4D;
      return tf.sum(tf.conv2d(s, c as tf.Tensor4D, 3, 'valid'));
    };
    const g = tf.grads(energy);
    const run = () => {
      const out = g([x, w1, w2]);
      tf.dispose(out);
    };
    run();
    const backend = tf.backend();
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // Intermediates inside the kernels never become tensors: count the backend's own buffers.
    expect(backend.numDataIds()).toBe(buffersBefore);
    tf.dispose([x, w1, w2]);
  });
});
