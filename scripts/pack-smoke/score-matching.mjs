import { denoisingScoreMatching } from '@ebmjs/score-matching';
import { initBackend, swish } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

await initBackend({ backend: 'wasm' });
const w = tf.variable(tf.randomNormal([2, 8], 0, 0.5, 'float32', 1));
const energy = (x) => tf.sum(swish(tf.matMul(x, w)), 1);
const x = tf.randomNormal([32, 2], 0, 1, 'float32', 2);
const { value, grads } = tf.variableGrads(() =>
  denoisingScoreMatching(energy, x, { sigma: 0.1, seed: 3 }),
);
const g = grads[w.name].dataSync();
if (!Number.isFinite(value.dataSync()[0]) || !g.every(Number.isFinite))
  throw new Error('not finite');
console.log(`DSM loss ${value.dataSync()[0].toFixed(4)}, weight gradient finite`);
