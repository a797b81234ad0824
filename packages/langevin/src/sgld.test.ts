import { createRng, EbmError, InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeState } from './sample.js';
import { linear } from './schedules.js';
import { SGLD_BOOK_DEFAULTS, sgld } from './sgld.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A tiny 1-hidden-layer energy in plain tf ops: E(x) = v · tanh(W x + b) + 0.5 c |x|^2, x in R^3.
const W = [
  [0.8, -1.2, 0.5],
  [-0.3, 0.9, 1.4],
  [1.1, 0.2, -0.7],
  [0.4, -0.6, 0.3],
];
const b = [0.1, -0.2, 0.05, 0.3];
const v = [1.5, -2.0, 0.7, 2.5];
const c = 0.3;

function tinyNetEnergy(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const h = tf.tanh(
      tf.add(tf.matMul(x as tf.Tensor2D, tf.tensor2d(W).transpose()), tf.tensor1d(b)),
    );
    const out = tf.sum(tf.mul(h, tf.tensor1d(v)), 1);
    return tf.add(out, tf.mul(tf.sum(tf.square(x), 1), 0.5 * c)) as tf.Tensor1D;
  });
}

/** The same energy for one example in float64 JS, for an independent finite-difference gradient. */
function tinyNetEnergyJs(x: number[]): number {
  let e = 0;
  for (let j = 0; j < W.length; j++) {
    let a = b[j]!;
    for (let i = 0; i < 3; i++) a += W[j]![i]! * x[i]!;
    e += v[j]! * Math.tanh(a);
  }
  return e + 0.5 * c * x.reduce((s, xi) => s + xi * xi, 0);
}

function fdGrad(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const p = x.slice();
    const m = x.slice();
    p[i]! += h;
    m[i]! -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

const clampTo = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

describe('sgld: one step matches a hand-computed reference', () => {
  it('book defaults on a tiny net: noise -> clamp -> grad -> clip -> step -> clamp', () => {
    const x0Rows = [
      [0.2, -0.5, 0.9],
      [-0.95, 0.4, 0.1],
      [0.6, 0.99, -0.3],
    ];
    const x0 = tf.tensor2d(x0Rows);
    const seed = 1234;
    const sampler = sgld(tinyNetEnergy, { seed });
    // The documented stream use: init forks a chain stream from the seed; the step draws one
    // normal tensor of std `noise` from it.
    const noiseT = createRng(seed).fork().normal([3, 3], 0, SGLD_BOOK_DEFAULTS.noise);
    const noise = noiseT.arraySync() as number[][];
    noiseT.dispose();

    const s0 = sampler.init(x0);
    const [s1, info] = sampler.step(s0);
    const got = s1.x.arraySync() as number[][];

    const { stepSize, gradClip } = SGLD_BOOK_DEFAULTS;
    let clipped = 0;
    let unclipped = 0;
    for (let r = 0; r < 3; r++) {
      const y = x0Rows[r]!.map((xi, i) => clampTo(xi + noise[r]![i]!, -1, 1));
      const g = fdGrad(tinyNetEnergyJs, y);
      for (let i = 0; i < 3; i++) {
        if (Math.abs(g[i]!) > gradClip) clipped++;
        else unclipped++;
        const gc = clampTo(g[i]!, -gradClip, gradClip);
        const expected = clampTo(y[i]! - stepSize * gc, -1, 1);
        // float32 arithmetic on O(1) values plus FD error ~1e-9: 1e-5 is ample and still far
        // below the effect of any missing stage (noise ~5e-3, a step ~0.3).
        expect(got[r]![i]!).toBeCloseTo(expected, 5);
      }
    }
    // the reference exercises both the clip and the unclipped path
    expect(clipped).toBeGreaterThan(0);
    expect(info).toEqual({ step: 0, stepSize: 10, noise: 0.005 });
    expect(s1.step).toBe(1);
    x0.dispose();
    disposeState(s0);
    disposeState(s1);
    void unclipped;
  });

  it('unclipped, unclamped, noiseless step is plain gradient descent (closed-form quadratic)', () => {
    // E(x) = 0.5 x^T P x  =>  grad = P x
    const P = [
      [2, 0.5],
      [0.5, 1],
    ];
    const energy = (x: tf.Tensor) =>
      tf.tidy(() =>
        tf.mul(tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, tf.tensor2d(P)), x), 1), 0.5),
      ) as tf.Tensor1D;
    const sampler = sgld(energy, { stepSize: 0.1, noise: 0, gradClip: null, clamp: null });
    const x0 = tf.tensor2d([
      [1, -2],
      [3, 0.5],
    ]);
    const s0 = sampler.init(x0);
    const [s1] = sampler.step(s0);
    const got = s1.x.arraySync() as number[][];
    const rows = x0.arraySync() as number[][];
    rows.forEach((x, r) => {
      const g = [P[0]![0]! * x[0]! + P[0]![1]! * x[1]!, P[1]![0]! * x[0]! + P[1]![1]! * x[1]!];
      expect(got[r]![0]).toBeCloseTo(x[0]! - 0.1 * g[0]!, 5);
      expect(got[r]![1]).toBeCloseTo(x[1]! - 0.1 * g[1]!, 5);
    });
    tf.dispose([x0, s0.x, s1.x]);
  });
});

describe('sgld: clamp and clip', () => {
  // E = 1000 * sum(x): the gradient is 1000 everywhere.
  const steep = (x: tf.Tensor) =>
    tf.tidy(() => tf.mul(tf.sum(tf.reshape(x, [x.shape[0]!, -1]), 1), 1000)) as tf.Tensor1D;

  it('a huge gradient moves each element by exactly gradClip * stepSize', () => {
    const sampler = sgld(steep, { stepSize: 10, noise: 0, gradClip: 0.03, clamp: null });
    const x0 = tf.tensor2d([[0.2, 5, -7]]);
    const s0 = sampler.init(x0);
    const [s1] = sampler.step(s0);
    const moved = Array.from(tf.tidy(() => tf.sub(s1.x, x0)).dataSync());
    for (const m of moved) expect(m).toBeCloseTo(-0.3, 5);
    tf.dispose([x0, s0.x, s1.x]);
  });

  it('the clamp holds samples inside [lo, hi] (before and after the step)', () => {
    const sampler = sgld(steep, {
      stepSize: 10,
      noise: 0.01,
      gradClip: 0.03,
      clamp: [-1, 1],
      seed: 3,
    });
    const x0 = tf.tensor2d([[-0.9, 0.95, 3, -3]]);
    let s = sampler.init(x0);
    // 3 -> clamped to 1 before the first step; from 1 it takes ceil(2 / 0.3) = 7 steps to reach -1
    for (let i = 0; i < 9; i++) {
      const [n] = sampler.step(s);
      disposeState(s);
      s = n;
      const values = Array.from(s.x.dataSync());
      for (const val of values) {
        expect(val).toBeGreaterThanOrEqual(-1);
        expect(val).toBeLessThanOrEqual(1);
      }
    }
    // the gradient always pushes down, so after a few steps every element sits at the bound
    expect(Array.from(s.x.dataSync())).toEqual([-1, -1, -1, -1]);
    tf.dispose([x0, s.x]);
  });

  it('without a clip the full gradient is applied; the pre-step clamp is applied before it', () => {
    const sampler = sgld(steep, { stepSize: 1e-4, noise: 0, gradClip: null, clamp: [-1, 1] });
    const x0 = tf.tensor2d([[5, 0.5]]);
    const s0 = sampler.init(x0);
    const [s1] = sampler.step(s0);
    // 5 -> clamp 1 -> 1 - 0.1 = 0.9 ; 0.5 -> 0.4
    const got = Array.from(s1.x.dataSync());
    expect(got[0]).toBeCloseTo(0.9, 5);
    expect(got[1]).toBeCloseTo(0.4, 5);
    tf.dispose([x0, s0.x, s1.x]);
  });
});

describe('sgld: options, seeds, schedules', () => {
  const quad = (x: tf.Tensor) =>
    tf.tidy(() =>
      tf.mul(tf.sum(tf.square(tf.reshape(x, [x.shape[0]!, -1])), 1), 0.5),
    ) as tf.Tensor1D;

  it('bad options throw typed errors naming the option, before any work', () => {
    const cases: [object, string][] = [
      [{ stepSize: 0 }, 'options.stepSize'],
      [{ stepSize: -1 }, 'options.stepSize'],
      [{ noise: -0.1 }, 'options.noise'],
      [{ gradClip: 0 }, 'options.gradClip'],
      [{ clamp: [1, -1] }, 'options.clamp'],
      [{ clamp: [1, 1] }, 'options.clamp'],
      [{ clamp: [0] }, 'options.clamp'],
      [{ stepsize: 1 }, 'options.stepsize'],
      [{ stepSize: () => -1 }, 'options.stepSize'],
      [{ seed: 1.5 }, 'seed'],
    ];
    for (const [opts, arg] of cases) {
      let err: unknown;
      try {
        sgld(quad, opts as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).argument).toBe(arg);
    }
    expect(() => sgld('nope' as never)).toThrow(InvalidArgumentError);
    const s = sgld(quad);
    expect(() => s.init(tf.tensor1d([1, 2], 'int32'))).toThrow(InvalidArgumentError);
    expect(() => s.init([1, 2] as never)).toThrow(InvalidArgumentError);
  });

  it('an energy of the wrong shape gets a ShapeError', () => {
    const bad = (x: tf.Tensor) => tf.sum(x) as unknown as tf.Tensor1D;
    const s = sgld(bad, { noise: 0 });
    const x0 = tf.zeros([4, 2]);
    const st = s.init(x0);
    // (tfjs keeps the tensors it saved for the backward pass when the forward throws, so this
    // error path may strand a tensor or two: a programming error, not a loop.)
    expect(() => s.step(st)).toThrow(ShapeError);
    tf.dispose([x0, st.x]);
  });

  it('a schedule that turns invalid mid-run throws at that step', () => {
    const s = sgld(quad, { stepSize: (t) => 1 - t, noise: 0 });
    const x0 = tf.zeros([1, 2]);
    let st = s.init(x0);
    const [n] = s.step(st);
    disposeState(st);
    st = n;
    expect(() => s.step(st)).toThrow(/step 1/);
    tf.dispose([x0, st.x]);
  });

  it('same seed gives identical samples, another seed differs; stepping one state twice is pure', () => {
    const x0 = tf.zeros([8, 4]);
    const run = (seed: number) => {
      const s = sgld(quad, { seed, noise: 0.1 });
      let st = s.init(x0);
      for (let i = 0; i < 5; i++) {
        const [n] = s.step(st);
        disposeState(st);
        st = n;
      }
      const out = Array.from(st.x.dataSync());
      st.x.dispose();
      return out;
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));

    const s = sgld(quad, { seed: 5, noise: 0.1 });
    const st = s.init(x0);
    const [a] = s.step(st);
    const [b2] = s.step(st);
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b2.x.dataSync()));
    // a second init continues the sampler's stream: different noise
    const st2 = s.init(x0);
    const [c2] = s.step(st2);
    expect(Array.from(c2.x.dataSync())).not.toEqual(Array.from(a.x.dataSync()));
    tf.dispose([x0, st.x, a.x, b2.x, st2.x, c2.x]);
  });

  it('noise 0 draws nothing: the result is deterministic without a seed', () => {
    const x0 = tf.tensor2d([[0.3, -0.2]]);
    const a = sgld(quad, { noise: 0 });
    const b2 = sgld(quad, { noise: 0 });
    const [sa] = a.step(a.init(x0));
    const [sb] = b2.step(b2.init(x0));
    expect(Array.from(sa.x.dataSync())).toEqual(Array.from(sb.x.dataSync()));
    tf.dispose([x0, sa.x, sb.x]);
  });

  it('schedules drive stepSize and noise; info reports the values used', () => {
    const s = sgld(quad, { stepSize: linear(10, 1, 9), noise: (t) => (t === 0 ? 0 : 0.01) });
    const x0 = tf.zeros([2, 2]);
    let st = s.init(x0);
    const infos = [];
    for (let i = 0; i < 3; i++) {
      const [n, info] = s.step(st);
      infos.push(info);
      disposeState(st);
      st = n;
    }
    expect(infos.map((i) => i.stepSize)).toEqual([10, 9, 8]);
    expect(infos.map((i) => i.noise)).toEqual([0, 0.01, 0.01]);
    tf.dispose([x0, st.x]);
  });

  it('works on image batches [N, 32, 32, 1] with a conv energy written in plain ops', () => {
    const rng = createRng(1);
    const kernel = rng.normal([3, 3, 1, 4], 0, 0.3);
    const energy = (x: tf.Tensor) =>
      tf.tidy(() => {
        const h = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 2, 'same');
        return tf.sum(tf.square(h), [1, 2, 3]) as tf.Tensor1D;
      });
    const s = sgld(energy, { seed: 2 });
    const x0 = rng.uniform([4, 32, 32, 1], -1, 1);
    const st = s.init(x0);
    const [n] = s.step(st);
    expect(n.x.shape).toEqual([4, 32, 32, 1]);
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(n.x, x0))).dataSync()[0]!);
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(0.3 + 0.05); // clipped step + a few noise sigmas
    tf.dispose([kernel, x0, st.x, n.x]);
  });

  it('errors are EbmErrors with stable codes', () => {
    try {
      sgld(quad, { stepSize: 0 });
    } catch (e) {
      expect(e).toBeInstanceOf(EbmError);
      expect((e as EbmError).code).toBe('E_INVALID_ARGUMENT');
    }
  });
});
