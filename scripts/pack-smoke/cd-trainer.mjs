import { createCDTrainer, sgldSampler } from '@ebmjs/cd-trainer';
import { mlpEnergyNet } from '@ebmjs/energy-nets';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

await initBackend({ backend: 'wasm' });
const trainer = createCDTrainer({
  model: mlpEnergyNet({ inputDim: 2, hidden: [16], seed: 0 }),
  buffer: new ReplayBuffer({ shape: [2], capacity: 64, seed: 1 }),
  sampler: sgldSampler({ stepSize: 0.1, noise: 0.01, gradClip: 1 }),
  steps: 5,
  seed: 0,
});
const m = trainer.step(tf.randomUniform([16, 2], -1, 1, 'float32', 3));
if (!Number.isFinite(m.loss)) throw new Error(`loss ${m.loss}`);
console.log(
  `one CD step (5 SGLD steps + Adam): loss ${m.loss.toFixed(4)}, cdiv ${m.cdiv.toFixed(4)}`,
);
