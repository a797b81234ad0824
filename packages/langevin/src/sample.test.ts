import { InvalidArgumentError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mala } from './mala.js';
import { disposeState, sample } from './sample.js';
import { sgld } from './sgld.js';
import { ula } from './ula.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const quad = (x: tf.Tensor) =>
  tf.tidy(() => tf.mul(tf.sum(tf.square(tf.reshape(x, [x.shape[0]!, -1])), 1), 0.5)) as tf.Tensor1D;

// A tiny MLP energy in plain ops (weights created once, outside the loop).
const W1 = tf.tidy(() => tf.randomNormal([2, 8], 0, 0.5, 'float32', 1));
const W2 = tf.tidy(() => tf.randomNormal([8, 1], 0, 0.5, 'float32', 2));
const mlp = (x: tf.Tensor) =>
  tf.tidy(
    () => tf.reshape(tf.matMul(tf.tanh(tf.matMul(x as tf.Tensor2D, W1)), W2), [-1]) as tf.Tensor1D,
  );

describe('sample()', () => {
  it('snapshots every k steps equal the states reached by stepping by hand', async () => {
    const x0 = tf.randomUniform([5, 2], -1, 1, 'float32', 3);
    const { samples, trajectory, steps, stopped } = await sample(
      sgld(mlp, { seed: 8, noise: 0.05 }),
      x0,
      {
        steps: 10,
        record: 3,
      },
    );
    expect(steps).toBe(10);
    expect(stopped).toBe(false);
    expect(trajectory).toHaveLength(3); // after steps 3, 6, 9

    const s = sgld(mlp, { seed: 8, noise: 0.05 });
    let st = s.init(x0);
    const byHand: number[][] = [];
    for (let i = 1; i <= 10; i++) {
      const [n] = s.step(st);
      disposeState(st);
      st = n;
      if (i % 3 === 0) byHand.push(Array.from(st.x.dataSync()));
    }
    expect(trajectory.map((t) => Array.from(t.dataSync()))).toEqual(byHand);
    expect(Array.from(samples.dataSync())).toEqual(Array.from(st.x.dataSync()));
    // x0 is untouched and still owned by the caller
    expect(x0.isDisposed).toBe(false);
    tf.dispose([x0, samples, st.x, ...trajectory]);
  });

  it('onStep sees every step in order and can stop early by returning false', async () => {
    const x0 = tf.zeros([3, 2]);
    const seen: number[] = [];
    const r = await sample(ula(quad, { stepSize: 0.1, seed: 1 }), x0, {
      steps: 20,
      onStep: (i, state, info) => {
        seen.push(i);
        expect(state.step).toBe(i + 1);
        expect(info.step).toBe(i);
        return i < 4;
      },
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(r.steps).toBe(5);
    expect(r.stopped).toBe(true);
    tf.dispose([x0, r.samples]);
  });

  it('an async onStep is awaited; an AbortSignal stops before the next step', async () => {
    const x0 = tf.zeros([3, 2]);
    const controller = new AbortController();
    const r = await sample(ula(quad, { stepSize: 0.1, seed: 1 }), x0, {
      steps: 20,
      onStep: async (i) => {
        await new Promise((res) => setTimeout(res, 1));
        if (i === 2) controller.abort();
      },
      signal: controller.signal,
    });
    expect(r.steps).toBe(3);
    expect(r.stopped).toBe(true);

    const pre = AbortSignal.abort();
    const r0 = await sample(ula(quad, { stepSize: 0.1 }), x0, { steps: 5, signal: pre });
    expect(r0.steps).toBe(0);
    expect(Array.from(r0.samples.dataSync())).toEqual(Array.from(x0.dataSync()));
    expect(r0.samples).not.toBe(x0);
    tf.dispose([x0, r.samples, r0.samples]);
  });

  it('an abort from a timer is honoured with yieldEvery', async () => {
    const x0 = tf.zeros([3, 2]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    const r = await sample(ula(quad, { stepSize: 0.1 }), x0, {
      steps: 100_000,
      yieldEvery: 1,
      signal: controller.signal,
    });
    expect(r.stopped).toBe(true);
    expect(r.steps).toBeLessThan(100_000);
    tf.dispose([x0, r.samples]);
  });

  it('bad options throw typed errors before any work', async () => {
    const x0 = tf.zeros([3, 2]);
    const s = ula(quad, { stepSize: 0.1 });
    const before = tf.memory().numTensors;
    const cases: [unknown, string][] = [
      [{ steps: 0 }, 'options.steps'],
      [{ steps: 2.5 }, 'options.steps'],
      [{}, 'options.steps'],
      [{ steps: 5, record: 0 }, 'options.record'],
      [{ steps: 5, record: 6 }, 'options.record'],
      [{ steps: 5, record: 1.5 }, 'options.record'],
      [{ steps: 5, onStep: 3 }, 'options.onStep'],
      [{ steps: 5, signal: 'x' }, 'options.signal'],
      [{ steps: 5, every: 2 }, 'options.every'],
    ];
    for (const [opts, arg] of cases) {
      await expect(sample(s, x0, opts as never), JSON.stringify(opts)).rejects.toMatchObject({
        argument: arg,
      });
    }
    await expect(sample({} as never, x0, { steps: 1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(sample(s, 'x' as never, { steps: 1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
  });

  it('errors thrown by onStep propagate and free every tensor of the run', async () => {
    const x0 = tf.zeros([3, 2]);
    const before = tf.memory().numTensors;
    await expect(
      sample(mala(quad, { stepSize: 0.1 }), x0, {
        steps: 10,
        record: 1,
        onStep: (i) => {
          if (i === 3) throw new Error('stop here');
        },
      }),
    ).rejects.toThrow('stop here');
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
  });
});

describe('no tensor growth', () => {
  it('1,000 SGLD steps through sample() leave tf.memory().numTensors flat', async () => {
    const x0 = tf.randomUniform([16, 2], -1, 1);
    const before = tf.memory().numTensors;
    const r = await sample(sgld(mlp, { seed: 1 }), x0, { steps: 1000, onStep: () => undefined });
    expect(tf.memory().numTensors).toBe(before + 1); // only the returned samples
    r.samples.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x0.dispose();
  });

  it('1,000 hand-driven steps of each sampler keep numTensors flat (expectNoLeak)', async () => {
    const x0 = tf.randomUniform([16, 2], -1, 1);
    for (const s of [
      sgld(mlp, { seed: 1 }),
      ula(mlp, { stepSize: 0.05, seed: 1 }),
      mala(mlp, { stepSize: 0.05, seed: 1 }),
    ]) {
      await expectNoLeak(
        () => {
          let st = s.init(x0);
          for (let i = 0; i < 1000; i++) {
            const [n, info] = (s.step as (x: typeof st) => [typeof st, object])(st);
            disposeState(st);
            disposeState(info);
            st = n;
          }
          disposeState(st);
        },
        { warmup: 0, repeats: 1, label: s.name },
      );
    }
    x0.dispose();
  });

  it('same seed gives identical sample() results on one backend', async () => {
    const x0 = tf.randomUniform([8, 2], -1, 1, 'float32', 5);
    const run = async () => {
      const r = await sample(mala(mlp, { stepSize: 0.3, seed: 77 }), x0, { steps: 30 });
      const out = Array.from(r.samples.dataSync());
      r.samples.dispose();
      return out;
    };
    expect(await run()).toEqual(await run());
    x0.dispose();
  });
});
