// The ebmjs training pipeline timed by the cd-iteration and browser-step benches, shared so that
// Node and the browser page (browser-step bundles this file with esbuild) run the same code.
// Browser-safe: imports only @tensorflow/tfjs and ebmjs packages, nothing from node:*.
//   sgldChain(model)        one sgld sampler on 128 chains; step() times one transition
//   cdTrainer(model, real)  createCDTrainer with the book's settings; iter() times trainer.step
import { createCDTrainer } from '@ebmjs/cd-trainer';
import { disposeState, sgld } from '@ebmjs/langevin';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import { createRng } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

export const BATCH = 128;
export const SHAPE = [32, 32, 1];
/** The book's SGLD settings, spelled out (they are also @ebmjs/langevin's defaults). */
export const SGLD = { stepSize: 10, noise: 0.005, gradClip: 0.03, clamp: [-1, 1] };
export const STEPS = 60;
export const LR = 1e-4;
export const ALPHA = 0.1;

/** A chain of the real sgld sampler on 128 chains; `step()` times one transition. */
export function sgldChain(model) {
  const sampler = sgld(model.energy, { ...SGLD, seed: 2 });
  const x0 = createRng(3).uniform([BATCH, ...SHAPE], -1, 1);
  let state = sampler.init(x0);
  x0.dispose();
  return {
    step() {
      const t0 = performance.now();
      const [next] = sampler.step(state);
      next.x.dataSync(); // wait for the backend (wasm and cpu run synchronously anyway)
      const ms = performance.now() - t0;
      disposeState(state);
      state = next;
      return ms;
    },
    /** Samples finite and inside the clamp; disposes the chain. */
    finish() {
      const x = state.x.dataSync();
      let ok = true;
      for (const v of x) if (!(v >= SGLD.clamp[0] && v <= SGLD.clamp[1])) ok = false;
      disposeState(state);
      return ok;
    },
  };
}

/**
 * The real trainer (book settings); `iter()` times one trainer.step on the real batch
 * (`real` = { data, shape }).
 */
export function cdTrainer(model, real) {
  const buffer = new ReplayBuffer({ shape: SHAPE, capacity: 8192, reinitProb: 0.05, seed: 3 });
  const optimizer = tf.train.adam(LR, 0.0, 0.999); // the book's betas: beta1 = 0
  const trainer = createCDTrainer({
    model,
    buffer,
    sampler: (energy, { seed }) => sgld(energy, { ...SGLD, seed }),
    optimizer,
    learningRate: LR,
    alpha: ALPHA,
    steps: STEPS,
    realNoise: 0.005,
    clamp: SGLD.clamp,
    seed: 4,
  });
  const batch = tf.tensor(real.data, real.shape);
  const metrics = [];
  return {
    trainer,
    metrics,
    iter() {
      const t0 = performance.now();
      metrics.push(trainer.step(batch));
      return performance.now() - t0;
    },
    dispose() {
      batch.dispose();
      optimizer.dispose();
    },
    get bufferSize() {
      return buffer.size;
    },
  };
}
