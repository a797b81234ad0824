// Quick start: train the book's conv energy net on MNIST digits with a small budget through the
// library API, then draw samples with Langevin dynamics and write PNGs.
//
//   npm run build && node examples/quickstart.mjs [outDir]
//
// Takes about half a minute on 2 CPU cores with the wasm backend. The same job from a terminal:
// `npx ebm train mnist`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createCDTrainer, langevinSnapshot, recordSteps, sgldSampler } from '@ebmjs/cd-trainer';
import { imageGrid, imageStrip, loadMnist } from '@ebmjs/datasets';
import { savePng } from '@ebmjs/datasets/node';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import { initBackend } from '@ebmjs/tensor-backend';

const out = process.argv[2] ?? 'ebm-out/quickstart';
await mkdir(out, { recursive: true });

const backend = await initBackend(); // tensorflow > wasm > cpu in Node
console.log(`backend: ${backend.name}`);

// 1024 training digits and 256 held-out ones, 32x32 in [-1, 1] as in the book
const mnist = await loadMnist({ n: 1280 });
const per = 32 * 32;
const train = { data: mnist.data.subarray(0, 1024 * per), shape: [1024, 32, 32, 1] };
const heldOut = { data: mnist.data.subarray(1024 * per), shape: [256, 32, 32, 1] };

const model = convEnergyNet({ seed: 0 }); // conv 16-32-64-64, swish, dense 64 -> energy
const trainer = createCDTrainer({
  model,
  buffer: new ReplayBuffer({ shape: [32, 32, 1], capacity: 8192, reinitProb: 0.05, seed: 1 }),
  sampler: sgldSampler({ stepSize: 10, noise: 0.005, gradClip: 0.03, clamp: [-1, 1] }), // the book's SGLD
  steps: 20, // Langevin steps per update (the book: 60)
  learningRate: 1e-3, // the book: 1e-4 over 60 epochs; larger for a short run
  alpha: 0.1,
  seed: 0,
});

const t0 = Date.now();
await trainer.fit(train, {
  epochs: 2,
  batchSize: 32,
  validationData: heldOut,
  checkpointDir: join(out, 'checkpoint'),
  callbacks: {
    onBatchEnd: ({ step, metrics }) => {
      if (step % 16 === 0)
        console.log(
          `step ${step}: loss ${metrics.loss.toFixed(4)}, cdiv ${metrics.cdiv.toFixed(4)}`,
        );
    },
    onEpochEnd: ({ record }) =>
      console.log(
        `epoch ${record.epoch + 1}: validation cdiv (E(noise) - E(data)) ${record.valCdiv.toFixed(3)}`,
      ),
  },
});
console.log(`trained ${trainer.stepCount} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// 64 chains from uniform noise, 128 SGLD steps, 8 frames each
const snap = langevinSnapshot(trainer, { n: 64, steps: 128, record: recordSteps(128, 8), seed: 2 });
await savePng(
  join(out, 'samples.png'),
  imageGrid({ data: snap.frames.at(-1), shape: snap.shape }, { cols: 8, scale: 2 }),
);
const strip = snap.frames.map((f) => ({ data: f.subarray(0, 8 * per), shape: [8, 32, 32, 1] }));
await savePng(join(out, 'langevin.png'), imageStrip(strip, { scale: 2 }));
console.log(`wrote ${join(out, 'samples.png')} and ${join(out, 'langevin.png')}`);
trainer.dispose();
model.dispose();
