// The browser side of the browser-step bench: bundled by bench/browser-step.mjs with esbuild
// (format iife, platform browser) and loaded by headless Chromium. Exposes `globalThis.ebmBench`,
// which the bench drives through playwright's page.evaluate; every timing is taken in the page.
// Same pipeline as cd-iteration in Node (./cd-pipeline.mjs), on tfjs-backend-wasm chosen through
// ebmjs's initBackend (which registers the conv-gradient kernel fills).
import { convEnergyNet } from '@ebmjs/energy-nets';
import { initBackend } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { cdTrainer, SGLD, sgldChain } from './cd-pipeline.mjs';

let model;
let chain;
let cd;
let tensors0 = 0;
let tensorsWarm = 0;

globalThis.ebmBench = {
  /**
   * Loads the wasm backend (files from `wasmPath`), optionally with a fixed thread count.
   * tfjs-backend-wasm 4.22 caps its XNNPACK pool at navigator.hardwareConcurrency / 2 (even after
   * setThreadsCount), so a 2-CPU machine always gets 1 thread; `hardwareConcurrency` overrides
   * what the page reports, to lift that cap (the 8 pthread workers are created regardless).
   */
  async init({ wasmPath, threads, hardwareConcurrency }) {
    const reportedCores = navigator.hardwareConcurrency;
    if (hardwareConcurrency && hardwareConcurrency > reportedCores) {
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {
        configurable: true,
        get: () => hardwareConcurrency,
      });
    }
    setWasmPaths(wasmPath);
    if (threads) setThreadsCount(threads);
    const t0 = performance.now();
    const info = await initBackend({ backend: 'wasm' });
    return {
      backend: info.name,
      platform: info.platform,
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      multithread: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      threadsCount: getThreadsCount(),
      kernelFills: info.kernelFills,
      relaxedSimd: info.relaxedSimd,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      hardwareConcurrency: reportedCores,
      hardwareConcurrencyOverride: navigator.hardwareConcurrency !== reportedCores,
      userAgent: navigator.userAgent,
      tfjs: tf.version.tfjs,
      initMs: Math.round(performance.now() - t0),
      pthreadWorkersRunning: tf.backend().wasm?.PThread?.runningWorkers?.length ?? 0,
    };
  },

  /** Builds the model, sampler chain and trainer on `real` ({ data: number[], shape }); warms up. */
  setup({ real, warmSteps = 3, warmIters = 1 }) {
    tensors0 = tf.memory().numTensors;
    model = convEnergyNet({ seed: 1 });
    chain = sgldChain(model);
    cd = cdTrainer(model, { data: Float32Array.from(real.data), shape: real.shape });
    const warm = { steps: [], iters: [] };
    for (let i = 0; i < warmSteps; i++) warm.steps.push(chain.step());
    for (let i = 0; i < warmIters; i++) warm.iters.push(cd.iter()); // creates Adam's moments
    tensorsWarm = tf.memory().numTensors;
    return warm;
  },

  step: () => chain.step(),
  iter: () => cd.iter(),
  numTensors: () => tf.memory().numTensors,

  /** Leak and sanity checks; disposes everything. */
  finish() {
    const checks = {};
    checks['tensors leaked over the timed rounds (sampler chain + trainer)'] =
      tf.memory().numTensors - tensorsWarm;
    checks['sgld: samples finite and inside the clamp'] = chain.finish();
    checks['trainer: losses and gradient norms finite'] = cd.metrics.every(
      (m) => Number.isFinite(m.loss) && Number.isFinite(m.gradNorm),
    );
    checks['trainer: replay buffer holds 128 x iterations'] =
      cd.bufferSize === 128 * cd.trainer.stepCount;
    const losses = cd.metrics.map((m) => Math.round(m.loss * 1e5) / 1e5);
    cd.dispose();
    model.dispose();
    checks['tensors left after disposing model, chain and optimizer'] =
      tf.memory().numTensors - tensors0;
    return { checks, losses, clamp: SGLD.clamp };
  },
};
