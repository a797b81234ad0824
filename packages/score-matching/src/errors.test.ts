import { InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  denoisingScoreMatching,
  type EnergyFn,
  exactScoreMatching,
  fisherDivergence,
  gaussianNoise,
  nce,
  score,
  slicedScoreMatching,
} from './index.js';
import { mlpModel } from './test-utils.js';

const x = tf.randomNormal([16, 2], 0, 1, 'float32', 1);
let calls = 0;
const quadratic: EnergyFn = (v) => {
  calls++;
  return tf.mul(0.5, tf.sum(tf.square(v), 1)) as tf.Tensor1D;
};
afterAll(() => x.dispose());

/** Expects a typed error naming `argument`, thrown before the energy is ever called. */
function rejects(
  fn: () => unknown,
  type: typeof InvalidArgumentError | typeof ShapeError,
  argument: string,
) {
  calls = 0;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as InvalidArgumentError).argument).toBe(argument);
  expect(calls).toBe(0);
}

describe('bad options give typed errors before any work', () => {
  it('denoisingScoreMatching: sigma <= 0, empty, NaN; weighting; levels', () => {
    for (const sigma of [0, -1, Number.NaN]) {
      rejects(
        () => denoisingScoreMatching(quadratic, x, { sigma }),
        InvalidArgumentError,
        'options.sigma',
      );
    }
    rejects(
      () => denoisingScoreMatching(quadratic, x, { sigma: [0.1, 0] }),
      InvalidArgumentError,
      'options.sigma[1]',
    );
    rejects(
      () => denoisingScoreMatching(quadratic, x, { sigma: [] }),
      InvalidArgumentError,
      'options.sigma',
    );
    rejects(
      () => denoisingScoreMatching(quadratic, x, { sigma: 1, weighting: () => -1 }),
      InvalidArgumentError,
      'options.weighting',
    );
    rejects(
      () => denoisingScoreMatching(quadratic, x, { sigma: 1, levels: 'some' as 'all' }),
      InvalidArgumentError,
      'options.levels',
    );
  });

  it('sliced / exact score matching: zero projections or probes, unknown distribution', () => {
    rejects(
      () => slicedScoreMatching(quadratic, x, { projections: 0 }),
      InvalidArgumentError,
      'options.projections',
    );
    rejects(
      () => slicedScoreMatching(quadratic, x, { projections: 1.5 }),
      InvalidArgumentError,
      'options.projections',
    );
    rejects(
      () => slicedScoreMatching(quadratic, x, { distribution: 'cauchy' as 'gaussian' }),
      InvalidArgumentError,
      'options.distribution',
    );
    rejects(
      () => exactScoreMatching(quadratic, x, { hutchinson: true, probes: 0 }),
      InvalidArgumentError,
      'options.probes',
    );
    rejects(
      () => exactScoreMatching(quadratic, x, { reduction: 'sum' as 'mean' }),
      InvalidArgumentError,
      'options.reduction',
    );
  });

  it('mismatched shapes and wrong inputs', () => {
    rejects(() => fisherDivergence(quadratic, tf.zeros([16, 3]), x), ShapeError, 'trueScore');
    rejects(() => exactScoreMatching(quadratic, tf.zeros([16])), ShapeError, 'x');
    rejects(() => slicedScoreMatching(quadratic, tf.zeros([0, 2])), ShapeError, 'x');
    rejects(() => score(quadratic, tf.zeros([3])), ShapeError, 'x');
    rejects(
      () => exactScoreMatching(quadratic, [[1, 2]] as unknown as tf.Tensor),
      InvalidArgumentError,
      'x',
    );
    rejects(
      () => exactScoreMatching('E' as unknown as EnergyFn, x),
      InvalidArgumentError,
      'energy',
    );
    const disposed = tf.zeros([2, 2]);
    disposed.dispose();
    rejects(() => exactScoreMatching(quadratic, disposed), InvalidArgumentError, 'x');
  });

  it('an energy or score function of the wrong output shape is named', () => {
    const bad: EnergyFn = (v) => tf.sum(v, 1, true) as unknown as tf.Tensor1D; // [N, 1]
    expect(() => exactScoreMatching(bad, x)).toThrow(ShapeError);
    expect(() => exactScoreMatching(bad, x)).toThrow(/energy/);
    expect(() => fisherDivergence(quadratic, (v) => tf.sum(v, 1), x)).toThrow(/trueScore/);
  });
});

describe('no tensor leaks', () => {
  const model = mlpModel([2, 8, 1], 1);
  const noise = gaussianNoise(x);
  const logZ = tf.variable(tf.scalar(0));
  afterAll(() => {
    tf.dispose([model.theta, logZ]);
    noise.dispose();
  });
  const losses: Record<string, () => tf.Tensor> = {
    fisherDivergence: () => fisherDivergence(model.energy, (v) => tf.neg(v), x),
    exact: () => exactScoreMatching(model.energy, x),
    hutchinson: () => exactScoreMatching(model.energy, x, { hutchinson: true, probes: 2 }),
    sliced: () => slicedScoreMatching(model.energy, x, { projections: 2, distribution: 'sphere' }),
    denoising: () => denoisingScoreMatching(model.energy, x, { sigma: [0.1, 1], levels: 'all' }),
    nce: () => nce(model.energy, x, { noise, logZ }),
  };
  for (const [name, loss] of Object.entries(losses)) {
    it(`${name}: value and weight gradients`, async () => {
      await expectNoLeak(() => loss().dispose());
      await expectNoLeak(() => {
        const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, [model.theta, logZ]);
        tf.dispose([value, grads]);
      });
    });
  }
});
