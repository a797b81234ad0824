import { InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak, gradCheck } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { toLayersModel } from './io.js';
import type { BuiltEnergyModel } from './net.js';
import { convEnergyNet, mlpEnergyNet } from './nets.js';
import type { ConvEnergyNetConfig } from './types.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Central differences on the weights (through `Variable.assign`) against `tf.variableGrads` of
 * sum(E(x)). float32 energies of order 0.1-1 with eps = 1e-2 give FD errors around
 * 1e-7 |E| / eps + O(eps² E''') ≈ 1e-4, hence atol 1e-3 and rtol 2e-2 (gradCheck's defaults).
 */
function checkWeightGrads(model: BuiltEnergyModel, x: tf.Tensor, perVariable = 6): void {
  const eps = 1e-2;
  const f = () => tf.tidy(() => tf.sum(model.energy(x)).dataSync()[0]!);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(model.energy(x)) as tf.Scalar,
    model.variables,
  );
  value.dispose();
  for (const v of model.variables) {
    const analytic = grads[v.name]!.dataSync();
    const base = v.dataSync().slice();
    const probe = Float32Array.from(base);
    for (let k = 0; k < Math.min(perVariable, v.size); k++) {
      const i = Math.floor((k * v.size) / Math.min(perVariable, v.size));
      probe[i] = base[i]! + eps;
      v.assign(tf.tensor(probe, v.shape));
      const up = f();
      probe[i] = base[i]! - eps;
      v.assign(tf.tensor(probe, v.shape));
      const down = f();
      probe[i] = base[i]!;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[i]!;
      const tol = 1e-3 + 2e-2 * Math.max(Math.abs(a), Math.abs(numeric));
      expect(
        Math.abs(a - numeric),
        `${v.name}[${i}]: analytic ${a}, numeric ${numeric}`,
      ).toBeLessThanOrEqual(tol);
    }
    v.assign(tf.tensor(base, v.shape));
  }
  tf.dispose(grads);
}

describe('convEnergyNet (the book net)', () => {
  it('has the book architecture: output [N] and 76,993 parameters', () => {
    // By hand, as Keras's model.summary() reports for the book's model (32x32x1 input):
    //   conv 5x5x1x16 + 16   =    416   (32 -> 16)
    //   conv 3x3x16x32 + 32  =  4,640   (16 -> 8)
    //   conv 3x3x32x64 + 64  = 18,496   (8 -> 4)
    //   conv 3x3x64x64 + 64  = 36,928   (4 -> 2)
    //   flatten 2*2*64 = 256; dense 256x64 + 64 = 16,448; dense 64x1 + 1 = 65
    //   total = 76,993
    const net = convEnergyNet({ seed: 1 });
    try {
      expect(net.parameterCount).toBe(76993);
      expect(net.variables.map((v) => v.shape)).toEqual([
        [5, 5, 1, 16],
        [16],
        [3, 3, 16, 32],
        [32],
        [3, 3, 32, 64],
        [64],
        [3, 3, 64, 64],
        [64],
        [256, 64],
        [64],
        [64, 1],
        [1],
      ]);
      // tfjs-layers counts the equivalent Sequential model on its own.
      const seq = toLayersModel(net);
      expect(seq.countParams()).toBe(76993);
      expect(seq.outputs[0]!.shape).toEqual([null, 1]);
      seq.dispose();
      const e = tf.tidy(() => net.energy(tf.zeros([3, 32, 32, 1])));
      expect(e.shape).toEqual([3]);
      e.dispose();
      expect(net.inputShape).toEqual([32, 32, 1]);
      expect(net.config).toMatchObject({
        kind: 'conv',
        filters: [16, 32, 64, 64],
        kernelSizes: [5, 3, 3, 3],
        strides: [2, 2, 2, 2],
        padding: 'same',
        denseUnits: [64],
        activation: 'swish',
        spectralNorm: false,
        seed: 1,
      });
      expect(JSON.parse(JSON.stringify(net.config))).toEqual(net.config);
    } finally {
      net.dispose();
    }
  });

  it('computes swish conv layers exactly as hand-written tf ops', () => {
    // Independent re-computation from the variables: conv (same padding) + bias + x*sigmoid(x).
    const net = convEnergyNet({
      inputShape: [6, 6, 2],
      filters: [3],
      kernelSizes: 3,
      strides: 2,
      denseUnits: [4],
      seed: 4,
    });
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 9);
    const [k0, b0, k1, b1, k2, b2] = net.variables;
    const manual = tf.tidy(() => {
      const sw = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
      let h = sw(tf.add(tf.conv2d(x as tf.Tensor4D, k0 as tf.Tensor4D, 2, 'same'), b0!));
      h = tf.reshape(h, [2, -1]);
      h = sw(tf.add(tf.matMul(h as tf.Tensor2D, k1 as tf.Tensor2D), b1!));
      return tf.reshape(tf.add(tf.matMul(h as tf.Tensor2D, k2 as tf.Tensor2D), b2!), [2]);
    });
    const e = net.energy(x);
    expect(Array.from(e.dataSync())).toEqual(
      Array.from(manual.dataSync()).map((v) => expect.closeTo(v, 6)),
    );
    tf.dispose([x, manual, e]);
    net.dispose();
  });

  it('is reproducible from its seed and initialises like Keras (Glorot uniform)', () => {
    const a = convEnergyNet({ seed: 7 });
    const b = convEnergyNet({ seed: 7 });
    const c = convEnergyNet({ seed: 8 });
    const k = (m: BuiltEnergyModel, i: number) => Array.from(m.variables[i]!.dataSync());
    expect(k(a, 6)).toEqual(k(b, 6));
    expect(k(a, 6)).not.toEqual(k(c, 6));
    // Rebuilding from the stored config reproduces the weights.
    const d = convEnergyNet(a.config as ConvEnergyNetConfig);
    expect(k(d, 0)).toEqual(k(a, 0));
    // Conv 3x3x64x64: fanIn = fanOut = 576, limit = sqrt(6 / 1152). U(-L, L) has variance L²/3;
    // with n = 36,864 draws the sample mean of w² has relative s.d. sqrt(4/45 / n) / (1/3) ≈ 0.5%,
    // so 3% is a 6-sigma bound.
    const w = k(a, 6);
    const limit = Math.sqrt(6 / 1152);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.99 * limit);
    const meanSq = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(Math.abs(meanSq / ((limit * limit) / 3) - 1)).toBeLessThan(0.03);
    expect(k(a, 7).every((v) => v === 0)).toBe(true); // biases start at zero
    const he = mlpEnergyNet({
      inputDim: 100,
      hidden: [50],
      kernelInitializer: 'heUniform',
      seed: 1,
    });
    const hw = Array.from(he.variables[0]!.dataSync());
    expect(Math.max(...hw.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 100));
    expect(Math.max(...hw.map(Math.abs))).toBeGreaterThan(0.99 * Math.sqrt(6 / 100));
    for (const m of [a, b, c, d, he]) m.dispose();
  });

  it('honours every size option', () => {
    const net = convEnergyNet({
      inputShape: [9, 7, 3],
      filters: [5, 6],
      kernelSizes: [3, 2],
      strides: [1, 3],
      padding: 'valid',
      denseUnits: [4, 3],
      activation: 'elu',
      seed: 2,
    });
    // valid: 9x7 -(k3,s1)-> 7x5 -(k2,s3)-> 2x2; flatten 2*2*6 = 24
    expect(net.variables.map((v) => v.shape)).toEqual([
      [3, 3, 3, 5],
      [5],
      [2, 2, 5, 6],
      [6],
      [24, 4],
      [4],
      [4, 3],
      [3],
      [3, 1],
      [1],
    ]);
    const e = tf.tidy(() => net.energy(tf.ones([2, 9, 7, 3])));
    expect(e.shape).toEqual([2]);
    e.dispose();
    net.dispose();
  });

  it('rejects bad options with InvalidArgumentError naming the option', () => {
    const bad: [object, string][] = [
      [{ filters: [16, 0] }, 'options.filters[1]'],
      [{ filters: [] }, 'options.filters'],
      [{ inputShape: [32, 32] }, 'options.inputShape'],
      [{ inputShape: [32, -1, 1] }, 'options.inputShape[1]'],
      [{ kernelSizes: [3, 3] }, 'options.kernelSizes'],
      [{ strides: 0 }, 'options.strides'],
      [{ denseUnits: [1.5] }, 'options.denseUnits[0]'],
      [{ activation: 'gelu' }, 'options.activation'],
      [{ padding: 'full' }, 'options.padding'],
      [
        { inputShape: [4, 4, 1], filters: [2], kernelSizes: 5, padding: 'valid' },
        'options.kernelSizes',
      ],
    ];
    for (const [opts, arg] of bad) {
      let err: unknown;
      try {
        convEnergyNet(opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument).toBe(arg);
    }
    expect(() => mlpEnergyNet({ inputDim: 0 })).toThrow(InvalidArgumentError);
    expect(() => mlpEnergyNet({ inputDim: 2, hidden: [-3] })).toThrow(/options.hidden\[0\]/);
    expect(() => mlpEnergyNet(undefined as never)).toThrow(InvalidArgumentError);
  });

  it('throws ShapeError for inputs of the wrong shape, before computing', () => {
    const net = convEnergyNet({ seed: 1 });
    const mlp = mlpEnergyNet({ inputDim: 2, seed: 1 });
    const before = tf.memory().numTensors;
    for (const shape of [
      [2, 32, 32],
      [2, 28, 28, 1],
      [2, 32, 32, 3],
      [32, 32, 1],
    ]) {
      const x = tf.zeros(shape);
      expect(() => net.energy(x)).toThrow(ShapeError);
      x.dispose();
    }
    const y = tf.zeros([5, 3]);
    expect(() => mlp.energy(y)).toThrow(/expected shape \[N, 2\], got \[5, 3\]/);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
    mlp.dispose();
    expect(() => net.energy(tf.zeros([1, 32, 32, 1]))).toThrow(/disposed/);
  });
});

describe('gradients against finite differences', () => {
  it('conv net: input and weight gradients', () => {
    const net = convEnergyNet({
      inputShape: [6, 6, 1],
      filters: [3, 4],
      kernelSizes: [3, 2],
      strides: [2, 1],
      denseUnits: [5],
      seed: 3,
    });
    const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 1);
    const r = gradCheck((v) => net.energy(v), x, { maxCoords: 40 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    checkWeightGrads(net, x);
    x.dispose();
    net.dispose();
  });

  it('conv net: second derivatives (gradient of the squared input gradient)', () => {
    // Score matching differentiates ∇x E again; swish from tensor-backend keeps this exact.
    const net = convEnergyNet({
      inputShape: [5, 5, 1],
      filters: [2],
      kernelSizes: 3,
      strides: 2,
      denseUnits: [3],
      seed: 5,
    });
    const x = tf.randomNormal([1, 5, 5, 1], 0, 1, 'float32', 2);
    const gradSq = (v: tf.Tensor) => {
      const g = tf.grad((u: tf.Tensor) => tf.sum(net.energy(u)))(v);
      return tf.mul(tf.sum(tf.square(g)), 100);
    };
    const r = gradCheck(gradSq, x, { maxCoords: 25 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    x.dispose();
    net.dispose();
  });

  for (const activation of ['swish', 'softplus', 'tanh', 'elu'] as const) {
    it(`mlp net (${activation}): input, weight and second derivatives`, () => {
      const net = mlpEnergyNet({ inputDim: 3, hidden: [8, 8], activation, seed: 11 });
      const x = tf.randomNormal([4, 3], 0, 1, 'float32', 4);
      expect(gradCheck((v) => net.energy(v), x).ok).toBe(true);
      const lap = gradCheck(
        (v) => tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(net.energy(u)))(v))),
        x,
      );
      expect(lap.ok, JSON.stringify(lap)).toBe(true);
      checkWeightGrads(net, x);
      x.dispose();
      net.dispose();
    });
  }
});

/** Largest singular value in float64 by power iteration on MᵀM (independent of the net's code). */
function largestSingularValue(m: Float32Array, rows: number, cols: number): number {
  let v = Array.from({ length: cols }, (_, i) => Math.sin(i + 1));
  let sigma = 0;
  for (let it = 0; it < 3000; it++) {
    const mv = new Array<number>(rows).fill(0);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) mv[r]! += m[r * cols + c]! * v[c]!;
    const mtmv = new Array<number>(cols).fill(0);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) mtmv[c]! += m[r * cols + c]! * mv[r]!;
    const n = Math.hypot(...mtmv);
    sigma = Math.sqrt(n / Math.hypot(...v));
    v = mtmv.map((e) => e / n);
  }
  return sigma;
}

describe('spectral normalisation', () => {
  it('normalised weights have largest singular value ≈ 1', () => {
    const net = convEnergyNet({
      inputShape: [8, 8, 2],
      filters: [4, 6],
      kernelSizes: 3,
      denseUnits: [5],
      spectralNorm: true,
      seed: 6,
    });
    expect(typeof net.updateSpectralNorm).toBe('function');
    // Power iteration converges like (σ2/σ1)^(2k); 300 more iterations on these small random
    // matrices leave the estimate within float32 rounding of σ1. Tolerance 1e-3 covers float32
    // accumulation in the matrix products.
    // Scale the raw kernels so their σ is far from 1 (Glorot init gives σ near 1 already).
    net.variables.forEach((v, i) => {
      if (i % 2 === 0) v.assign(tf.mul(v, 3));
    });
    net.updateSpectralNorm!(300);
    const eff = net.effectiveWeights();
    for (let i = 0; i < eff.length; i += 2) {
      const k = eff[i]!;
      const cols = k.shape[k.rank - 1]!;
      const rows = k.size / cols;
      const s = largestSingularValue(k.dataSync() as Float32Array, rows, cols);
      expect(s, `layer ${i / 2}`).toBeCloseTo(1, 3);
      // and the raw kernel is not already normalised (so the test means something)
      const raw = net.variables[i]!;
      expect(
        Math.abs(largestSingularValue(raw.dataSync() as Float32Array, rows, cols) - 1),
      ).toBeGreaterThan(1);
    }
    tf.dispose(eff);
    net.dispose();
  });

  it('energy is W/σ(W): gradients (through σ) match finite differences; update moves u', () => {
    const net = mlpEnergyNet({ inputDim: 3, hidden: [6], spectralNorm: true, seed: 9 });
    const x = tf.randomNormal([3, 3], 0, 1, 'float32', 5);
    expect(gradCheck((v) => net.energy(v), x).ok).toBe(true);
    checkWeightGrads(net, x, 8);
    const u0 = Array.from(net.layers[0]!.sn!.u.dataSync());
    net.variables[0]!.assign(
      tf.mul(net.variables[0]!, tf.randomNormal([3, 6], 1, 0.5, 'float32', 3)),
    );
    net.updateSpectralNorm!();
    expect(Array.from(net.layers[0]!.sn!.u.dataSync())).not.toEqual(u0);
    expect(() => net.updateSpectralNorm!(0)).toThrow(InvalidArgumentError);
    x.dispose();
    net.dispose();
    const plain = mlpEnergyNet({ inputDim: 2, seed: 1 });
    expect(plain.updateSpectralNorm).toBeUndefined();
    plain.dispose();
  });
});

describe('memory', () => {
  it('energy, input gradients, weight gradients and SN updates do not leak', async () => {
    const conv = convEnergyNet({
      inputShape: [8, 8, 1],
      filters: [4, 4],
      denseUnits: [8],
      spectralNorm: true,
      seed: 1,
    });
    const mlp = mlpEnergyNet({ inputDim: 2, seed: 1 });
    const x = tf.randomNormal([4, 8, 8, 1]);
    const y = tf.randomNormal([4, 2]);
    const opt = tf.train.adam(1e-3);
    await expectNoLeak(
      () => {
        tf.dispose(conv.energy(x));
        tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(conv.energy(v)))(x));
        tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(mlp.energy(v)))(y));
        const { value, grads } = tf.variableGrads(
          () => tf.sum(conv.energy(x)) as tf.Scalar,
          conv.variables,
        );
        tf.dispose([value, ...Object.values(grads)]);
        tf.dispose(
          opt.minimize(() => tf.sum(mlp.energy(y)) as tf.Scalar, true, mlp.variables) ?? [],
        );
        conv.updateSpectralNorm!(2);
        tf.dispose(conv.effectiveWeights());
      },
      { warmup: 2, repeats: 3, label: 'energy-nets' },
    );
    tf.dispose([x, y]);
    opt.dispose();
    const before = tf.memory().numTensors;
    conv.dispose();
    mlp.dispose();
    // conv: 4 layers x (kernel, bias, u, v) = 16; mlp: 3 layers x (kernel, bias) = 6
    expect(before - tf.memory().numTensors).toBe(22);
  });
});
