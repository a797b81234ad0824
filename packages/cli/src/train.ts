/**
 * The training jobs behind `ebm train mnist` and `ebm train toy`, usable from code too.
 *
 * @module train
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type CDTrainer,
  createCDTrainer,
  type EpochRecord,
  langevinSnapshot,
  listCheckpoints,
  recordSteps,
  sgldSampler,
  stepDecay,
} from '@ebmjs/cd-trainer';
import { type ImageDataset, imageGrid, imageStrip, loadMnist, toy } from '@ebmjs/datasets';
import { loadIdxImages, savePng } from '@ebmjs/datasets/node';
import { convEnergyNet, type EnergyModel, mlpEnergyNet } from '@ebmjs/energy-nets';
import { ReplayBuffer } from '@ebmjs/replay-buffer';
import { InvalidArgumentError } from '@ebmjs/tensor-backend';
import { createProgress, type Progress } from './progress.js';
import { energyLandscape } from './render.js';

/** SGLD settings stored with the model so that `ebm sample` uses the same chain. */
export interface SgldSettings {
  stepSize: number;
  noise: number;
  gradClip: number;
  clamp: [number, number];
}

/** Options shared by both training jobs. */
export interface TrainCommonOptions {
  /** Output directory. */
  out: string;
  epochs: number;
  batchSize: number;
  /** Langevin steps per training step. */
  steps: number;
  /** Number of training examples. */
  limit: number;
  lr: number;
  alpha: number;
  seed: number;
  /** Continue from the checkpoint in `<out>/checkpoint`. */
  resume: boolean;
  /** Start over even if `<out>` holds a previous run (its checkpoints are deleted). */
  overwrite?: boolean;
  /** Checkpoint every this many steps (default: each epoch end). */
  checkpointEvery?: number;
  /** Langevin steps for the pictures written at the end. */
  sampleSteps: number;
  /** Replay buffer capacity (default 8192, as the book). */
  bufferSize?: number;
  /** SGLD overrides (default: {@link IMAGE_SGLD} or {@link TOY_SGLD}). */
  stepSize?: number;
  noise?: number;
  gradClip?: number;
  /** Where progress goes (default process.stderr). */
  progressStream?: NodeJS.WriteStream;
  /** Where the summary goes (default console.log). */
  log?: (line: string) => void;
  quiet?: boolean;
  signal?: AbortSignal;
}

/** Options of {@link trainMnist}. */
export interface TrainMnistOptions extends TrainCommonOptions {
  /** IDX images file (raw or .gz); default: the 10,000 MNIST digits bundled with @ebmjs/datasets. */
  data?: string;
}

/** Options of {@link trainToy}. */
export interface TrainToyOptions extends TrainCommonOptions {
  /** Toy distribution name (`two-moons`, `eight-gaussians`, ...). */
  dataset: string;
}

/** What a training job produced. */
export interface TrainResult {
  out: string;
  files: string[];
  history: EpochRecord[];
  steps: number;
  seconds: number;
  stopped: boolean;
}

const METRIC_COLUMNS = [
  'step',
  'epoch',
  'batch',
  'loss',
  'reg',
  'cdiv',
  'real',
  'fake',
  'grad_norm',
  'lr',
];

/**
 * Book SGLD for images. For 2-D toys the book's tiny clip (0.03) makes chains crawl; step 0.5,
 * clip 1, noise 0.01 with a 1024-sample buffer gave visibly clustered samples in a small sweep.
 */
export const IMAGE_SGLD: SgldSettings = {
  stepSize: 10,
  noise: 0.005,
  gradClip: 0.03,
  clamp: [-1, 1],
};
export const TOY_SGLD: SgldSettings = {
  stepSize: 0.5,
  noise: 0.01,
  gradClip: 1,
  clamp: [-4.5, 4.5],
};
/**
 * Toy data is used in its own units (about [-4, 4]², clamp [-4.5, 4.5]): scaled into [-1, 1] the
 * MLP stays nearly linear over the data and learned only a ramp in short runs.
 */
export const TOY_SCALE = 1;

async function runTraining(
  model: EnergyModel,
  train: { data: Float32Array; shape: number[] },
  val: { data: Float32Array; shape: number[] },
  sgldSettings: SgldSettings,
  o: TrainCommonOptions,
  meta: Record<string, unknown>,
): Promise<{ trainer: CDTrainer; result: Omit<TrainResult, 'files'>; progress: Progress }> {
  const sgld: SgldSettings = {
    ...sgldSettings,
    ...(o.stepSize !== undefined && { stepSize: o.stepSize }),
    ...(o.noise !== undefined && { noise: o.noise }),
    ...(o.gradClip !== undefined && { gradClip: o.gradClip }),
  };
  const out = resolve(o.out);
  const ckDir = join(out, 'checkpoint');
  if (!o.resume && (await listCheckpoints(ckDir)).length > 0) {
    if (!o.overwrite) {
      throw new InvalidArgumentError(
        '--out',
        `${out} already holds a training run; add --resume to continue it or --overwrite to start over`,
      );
    }
    await rm(ckDir, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  const log = o.log ?? ((l: string) => console.log(l));
  const buffer = new ReplayBuffer({
    shape: model.inputShape,
    capacity: o.bufferSize ?? 8192,
    init: (n, rng) => rng.uniform([n, ...model.inputShape], sgld.clamp[0], sgld.clamp[1]),
    reinitProb: 0.05,
    seed: (o.seed + 1) >>> 0,
  });
  const trainer = createCDTrainer({
    model,
    buffer,
    sampler: sgldSampler(sgld),
    learningRate: o.lr,
    alpha: o.alpha,
    steps: o.steps,
    clamp: sgld.clamp,
    seed: o.seed,
    lrSchedule: stepDecay(0.97),
  });
  const csvPath = join(out, 'metrics.csv');
  const csv = createWriteStream(csvPath, { flags: o.resume ? 'a' : 'w' });
  if (!o.resume) csv.write(`${METRIC_COLUMNS.join(',')}\n`);
  const progress = createProgress(o.progressStream ?? process.stderr, { quiet: o.quiet });
  const bs = Math.min(o.batchSize, train.shape[0]!);
  const perEpoch = Math.floor(train.shape[0]! / bs);
  const total = perEpoch * o.epochs;
  const t0 = Date.now();
  let fit: Awaited<ReturnType<CDTrainer['fit']>>;
  try {
    fit = await trainer.fit(train, {
      epochs: o.epochs,
      batchSize: bs,
      validationData: val,
      checkpointDir: join(out, 'checkpoint'),
      checkpointEvery: o.checkpointEvery,
      resume: o.resume,
      signal: o.signal,
      meta: { ...meta, sgld: sgld },
      callbacks: {
        onBatchEnd: ({ epoch, batch, step, metrics: m }) => {
          csv.write(
            `${[step, epoch, batch, m.loss, m.reg, m.cdiv, m.real, m.fake, m.gradNorm, m.lr].join(',')}\n`,
          );
          progress.update({ epoch, epochs: o.epochs, step, total, loss: m.loss, cdiv: m.cdiv });
        },
        onEpochEnd: ({ record }) => {
          progress.log(
            `epoch ${record.epoch + 1}/${o.epochs}: loss ${record.loss.toFixed(4)}, cdiv ${record.cdiv.toFixed(4)}, ` +
              `val cdiv ${record.valCdiv?.toFixed(4)}, lr ${record.lr.toExponential(2)}`,
          );
        },
      },
    });
  } finally {
    progress.stop();
    await new Promise<void>((r) => csv.end(() => r()));
  }
  if (fit.stopped) {
    const path = await trainer.save(join(out, 'checkpoint'), { ...meta, sgld: sgld });
    log(`stopped: checkpoint written to ${path}; continue with --resume`);
  }
  return {
    trainer,
    progress,
    result: {
      out,
      history: fit.history,
      steps: fit.step,
      seconds: (Date.now() - t0) / 1000,
      stopped: fit.stopped,
    },
  };
}

function summary(kind: string, r: TrainResult, log: (l: string) => void): void {
  const first = r.history[0];
  const last = r.history.at(-1);
  log('');
  log(
    `ebm train ${kind}: ${r.steps} steps in ${r.seconds.toFixed(1)} s${r.stopped ? ' (stopped early)' : ''}`,
  );
  if (first && last) {
    log(`  loss ${first.loss.toFixed(4)} -> ${last.loss.toFixed(4)}`);
    log(
      `  validation cdiv (E(noise) - E(data), higher = better) ${first.valCdiv?.toFixed(4)} -> ${last.valCdiv?.toFixed(4)}`,
    );
  }
  log(`  wrote ${r.files.map((f) => f.replace(`${r.out}/`, '')).join(', ')} in ${r.out}`);
}

/** Splits off a validation set (at most 256 examples, at least 1) from the end. */
function split(d: { data: Float32Array; shape: number[] }, limit: number) {
  const n = d.shape[0]!;
  const per = d.data.length / n;
  const nTrain = Math.min(limit, n - 1);
  if (nTrain < 1)
    throw new InvalidArgumentError('--limit', `needs at least 2 examples, the data has ${n}`);
  const nVal = Math.min(256, n - nTrain);
  return {
    train: { data: d.data.subarray(0, nTrain * per), shape: [nTrain, ...d.shape.slice(1)] },
    val: {
      data: d.data.subarray(nTrain * per, (nTrain + nVal) * per),
      shape: [nVal, ...d.shape.slice(1)],
    },
  };
}

/** Trains the book's conv energy net on MNIST digits (or any IDX image file) and writes pictures. */
export async function trainMnist(o: TrainMnistOptions): Promise<TrainResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const want = o.limit + 256;
  let ds: ImageDataset;
  if (o.data) ds = await loadIdxImages(o.data, undefined, { n: want });
  else ds = await loadMnist({ n: Math.min(want, 10000) });
  const { train, val } = split(ds, o.limit);
  const [h, w] = [ds.shape[1]!, ds.shape[2]!];
  const model = convEnergyNet({ inputShape: [h, w, 1], seed: o.seed });
  const meta = { kind: 'mnist', data: o.data ?? 'bundled MNIST', examples: train.shape[0] };
  const { trainer, result } = await runTraining(model, train, val, IMAGE_SGLD, o, meta);
  // pictures: 64 chains from noise; samples.png = their end points, langevin.png = 8 chains over time
  const record = recordSteps(o.sampleSteps, 8);
  const snap = langevinSnapshot(trainer, { n: 64, steps: o.sampleSteps, record, seed: o.seed + 2 });
  const final = snap.frames.at(-1)!;
  const samplesPng = join(result.out, 'samples.png');
  await savePng(samplesPng, imageGrid({ data: final, shape: snap.shape }, { cols: 8, scale: 2 }));
  const per = h * w;
  const strip = snap.frames.map((f) => ({ data: f.subarray(0, 8 * per), shape: [8, h, w, 1] }));
  const langevinPng = join(result.out, 'langevin.png');
  await savePng(langevinPng, imageStrip(strip, { scale: 2 }));
  const files = [
    samplesPng,
    langevinPng,
    join(result.out, 'metrics.csv'),
    join(result.out, 'checkpoint'),
  ];
  const r = { ...result, files };
  if (!o.quiet) summary('mnist', r, log);
  trainer.dispose();
  model.dispose();
  return r;
}

/** Trains an MLP energy on a 2-D toy distribution and draws its energy landscape with samples. */
export async function trainToy(o: TrainToyOptions): Promise<TrainResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const raw = toy(o.dataset, { n: o.limit + 256, seed: o.seed });
  const scaled = new Float32Array(raw.data.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = raw.data[i]! / TOY_SCALE;
  const { train, val } = split({ data: scaled, shape: [raw.shape[0], 2] }, o.limit);
  const model = mlpEnergyNet({ inputDim: 2, hidden: [64, 64], seed: o.seed });
  const meta = { kind: 'toy', dataset: o.dataset, scale: TOY_SCALE, examples: train.shape[0] };
  const { trainer, result } = await runTraining(model, train, val, TOY_SGLD, o, meta);
  // Samples: the persistent chains (replay buffer) the model was trained with, which track the
  // data closely, plus a few chains run from noise for o.sampleSteps steps (saved separately).
  const snap = langevinSnapshot(trainer, {
    n: 256,
    steps: o.sampleSteps,
    record: [o.sampleSteps],
    seed: o.seed + 2,
  });
  const stored = (trainer.buffer as ReplayBuffer).serialize();
  const pick = Math.min(1024, stored.size);
  const points = stored.data.slice(0, pick * 2);
  const landscape = join(result.out, 'landscape.png');
  await savePng(
    landscape,
    energyLandscape(model.energy, {
      points,
      data: val.data as Float32Array,
      range: TOY_SGLD.clamp,
    }),
  );
  const fromNoise = join(result.out, 'landscape-chains-from-noise.png');
  await savePng(
    fromNoise,
    energyLandscape(model.energy, {
      points: snap.frames[0]!,
      data: val.data as Float32Array,
      range: TOY_SGLD.clamp,
    }),
  );
  const files = [
    landscape,
    fromNoise,
    join(result.out, 'metrics.csv'),
    join(result.out, 'checkpoint'),
  ];
  const r = { ...result, files };
  if (!o.quiet) summary(`toy (${o.dataset})`, r, log);
  trainer.dispose();
  model.dispose();
  return r;
}
