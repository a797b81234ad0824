import { initBackend } from '@ebmjs/tensor-backend';
import { expectNoLeak, gradCheck } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ringEnergy } from './analytic.js';
import { convEnergyNet, mlpEnergyNet } from './nets.js';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs fn on cpu and on wasm and returns both results as plain arrays. */
async function onBoth(fn: () => tf.Tensor): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend('cpu');
  const a = fn();
  const cpu = a.dataSync() as Float32Array;
  a.dispose();
  await initBackend({ backend: 'wasm' });
  expect(tf.getBackend()).toBe('wasm');
  const b = fn();
  const wasm = b.dataSync() as Float32Array;
  b.dispose();
  return [cpu, wasm];
}

describe('on the wasm backend', () => {
  it('conv net energies and input gradients equal the cpu ones; gradients match finite differences', async () => {
    const net = convEnergyNet({
      inputShape: [16, 16, 1],
      filters: [4, 8, 8],
      kernelSizes: [5, 3, 3],
      denseUnits: [8],
      seed: 5,
    });
    const x = tf.randomNormal([3, 16, 16, 1], 0, 1, 'float32', 7);
    // Different kernels (XNNPACK vs JS loops) sum in different orders: agreement to 1e-5 relative.
    const [e1, e2] = await onBoth(() => net.energy(x));
    e1.forEach((v, i) => {
      expect(Math.abs(e2[i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
    });
    const grad = () => tf.grad((v: tf.Tensor) => tf.sum(net.energy(v)))(x);
    const [g1, g2] = await onBoth(grad);
    const scale = Math.max(...Array.from(g1).map(Math.abs));
    g1.forEach((v, i) => {
      expect(Math.abs(g2[i]! - v)).toBeLessThan(1e-4 * scale);
    });
    expect(tf.getBackend()).toBe('wasm');
    const small = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
    const r = gradCheck((v) => net.energy(v), small, { maxCoords: 30 });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await expectNoLeak(() => tf.dispose([net.energy(x), grad()]));
    tf.dispose([x, small]);
    net.dispose();
  });

  it('MLP weight gradients and analytic scores work on wasm', async () => {
    await initBackend({ backend: 'wasm' });
    const net = mlpEnergyNet({ inputDim: 2, hidden: [16, 16], seed: 1 });
    const ring = ringEnergy();
    const x = tf.randomNormal([8, 2], 0, 1, 'float32', 1);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(net.energy(x)) as tf.Scalar,
      net.variables,
    );
    expect(Object.keys(grads)).toHaveLength(6);
    expect(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
    const s = ring.score(x);
    const minus = tf.neg(tf.grad((v: tf.Tensor) => tf.sum(ring.energy(v)))(x));
    const a = s.dataSync();
    const b = minus.dataSync();
    a.forEach((v, i) => {
      expect(Math.abs(b[i]! - v)).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)));
    });
    tf.dispose([value, ...Object.values(grads), s, minus, x]);
    net.dispose();
  });
});
