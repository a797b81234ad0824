/**
 * The job behind `ebm rbm mnist`: a Bernoulli RBM trained with CD-k or PCD-k on binarised
 * digits, with held-out metrics every epoch, an AIS log-likelihood at the end, and pictures of
 * the filters and of Gibbs samples. Usable from code too ({@link trainRbmMnist}).
 *
 * @module rbm-mnist
 */
import { createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ImageDataset, imageGrid, loadMnist, MNIST_BUNDLED_COUNT } from '@ebmjs/datasets';
import { loadIdxImages, savePng } from '@ebmjs/datasets/node';
import {
  ais,
  BernoulliRBM,
  combineAisWeights,
  filtersToImage,
  pseudoLikelihood,
  reconstructionError,
  saveRBM,
} from '@ebmjs/rbm';
import { createRng, InvalidArgumentError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { createProgress } from './progress.js';

/** Options of {@link trainRbmMnist}. */
export interface RbmMnistOptions {
  /** Output directory. */
  out: string;
  /** Hidden units. */
  hidden: number;
  epochs: number;
  batchSize: number;
  /** Gibbs steps in the negative phase (CD-k / PCD-k). */
  k: number;
  /** Persistent contrastive divergence (PCD-k) instead of CD-k. */
  pcd: boolean;
  /** Number of persistent chains (PCD only; default: the batch size). */
  chains?: number;
  /** Training digits (the first `limit` of the data). */
  limit: number;
  /** Held-out digits (the `test` after the training ones) for every evaluation. */
  test: number;
  /** Held-out digits for the exact pseudo-likelihood each epoch (0: skip it; at most `test`). */
  plDigits: number;
  lr: number;
  /** Momentum in [0, 1). */
  momentum: number;
  /** L2 penalty on the weights. */
  weightDecay: number;
  /** Threshold in (0, 1] on the [0, 1] intensity, or `'sample'` (stochastic, seeded by `seed`). */
  binarize: number | 'sample';
  /** IDX images file (raw or .gz); default: the 10,000 MNIST digits bundled with @ebmjs/datasets. */
  data?: string;
  /** Estimate the log-likelihood with AIS at the end (default true). */
  ais?: boolean;
  /** Independent AIS runs (chains). */
  aisChains: number;
  /** Intermediate distributions of the linear AIS schedule. */
  aisBetas: number;
  /** Gibbs sweeps from noise for samples.png. */
  gibbsSteps: number;
  /** Number of chains (pictures) in samples.png. */
  samples: number;
  seed: number;
  /** Replace a previous run's files in `out`. */
  overwrite?: boolean;
  /** Where progress goes (default process.stderr). */
  progressStream?: NodeJS.WriteStream;
  /** Where the results go (default console.log). */
  log?: (line: string) => void;
  /** No progress output (the results are still logged). */
  quiet?: boolean;
  signal?: AbortSignal;
}

/** One epoch of {@link trainRbmMnist}: training metrics and held-out evaluation. */
export interface RbmEpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean reconstruction error (squared, per pixel) over the epoch's batches. */
  reconstructionError: number;
  /** Mean free energy of the batches minus that of the negative samples. */
  freeEnergyGap: number;
  /** Reconstruction error on the held-out digits. */
  testReconstructionError: number;
  /** Mean exact log pseudo-likelihood of `plDigits` held-out digits, nats (NaN if skipped). */
  testPseudoLikelihood: number;
  testPseudoLikelihoodStdErr: number;
  /** Seconds of training in this epoch (evaluation excluded). */
  seconds: number;
  /** Seconds of the held-out evaluation after it. */
  evalSeconds: number;
}

/** The AIS estimate of {@link trainRbmMnist}. */
export interface RbmAisResult {
  logZ: number;
  /** Delta-method standard error of `logZ` (and so of the log-likelihoods), nats. */
  logZStdErr: number;
  /** Mean log-likelihood of the held-out digits, nats. */
  testLogLikelihood: number;
  /** Standard error of that mean over the held-out digits (data sampling, not AIS). */
  testLogLikelihoodDataStdErr: number;
  /** Mean log-likelihood of the training digits, nats. */
  trainLogLikelihood: number;
  /** (sum w)^2 / sum w^2 of the importance weights, between 1 and `runs`. */
  effectiveSampleSize: number;
  runs: number;
  betas: number;
  seconds: number;
}

/** What {@link trainRbmMnist} produced. */
export interface RbmMnistResult {
  out: string;
  files: string[];
  history: RbmEpochRecord[];
  /** Absent with `ais: false` or when stopped early. */
  ais?: RbmAisResult;
  /** Training wall time (with the per-epoch evaluation), seconds. */
  trainSeconds: number;
  /** Whole job, seconds. */
  seconds: number;
  /** Stopped by the abort signal (Ctrl-C). */
  stopped: boolean;
}

const METRIC_COLUMNS = [
  'epoch',
  'recon_train',
  'free_energy_gap',
  'recon_test',
  'pseudo_ll_test',
  'pseudo_ll_test_stderr',
  'seconds',
  'eval_seconds',
];

/** Runs per `ais` call: the estimate is combined from several calls so Ctrl-C and progress get through. */
const AIS_CHUNK = 25;
/** Gibbs sweeps per call while drawing the pictures. */
const GIBBS_CHUNK = 50;

/** Thrown out of the training callback when the abort signal fires. */
class Stop extends Error {}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Checks the options that do not need the data (the CLI has validated types already). */
function checkOptions(o: RbmMnistOptions): void {
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min)
      throw new InvalidArgumentError(name, `expected an integer >= ${min}, got ${v}`);
  };
  int('--hidden', o.hidden, 1);
  int('--epochs', o.epochs, 1);
  int('--batch-size', o.batchSize, 1);
  int('--k', o.k, 1);
  int('--limit', o.limit, 1);
  int('--test', o.test, 2);
  int('--pl-digits', o.plDigits, 0);
  int('--ais-chains', o.aisChains, 2);
  int('--ais-betas', o.aisBetas, 1);
  int('--gibbs-steps', o.gibbsSteps, 1);
  int('--samples', o.samples, 1);
  int('--seed', o.seed, 0);
  if (o.chains !== undefined) int('--chains', o.chains, 1);
  if (o.chains !== undefined && !o.pcd)
    throw new InvalidArgumentError('--chains', 'persistent chains need --pcd');
  if (!o.data && o.limit + o.test > MNIST_BUNDLED_COUNT) {
    throw new InvalidArgumentError(
      '--limit',
      `the bundled MNIST has ${MNIST_BUNDLED_COUNT} digits and --test ${o.test} of them are held out, so --limit can be at most ${MNIST_BUNDLED_COUNT - o.test}, got ${o.limit}`,
    );
  }
}

/** Loads `limit + test` binarised digits as `{ data, n, height, width }` (rows of h*w pixels). */
async function loadDigits(o: RbmMnistOptions) {
  const want = o.limit + o.test;
  const prep =
    o.binarize === 'sample'
      ? { n: want, pad: false, binarize: 'sample' as const, seed: o.seed }
      : { n: want, pad: false, binarize: o.binarize };
  const ds: ImageDataset = o.data
    ? await loadIdxImages(o.data, undefined, prep)
    : await loadMnist(prep);
  const [n, height, width] = [ds.shape[0]!, ds.shape[1]!, ds.shape[2]!];
  if (n < want) {
    throw new InvalidArgumentError(
      '--limit',
      `${o.data} has ${n} images, fewer than --limit ${o.limit} + --test ${o.test}`,
    );
  }
  return { data: ds.data, height, width };
}

/**
 * Visible biases at the log-odds of each pixel's frequency in the first `n` rows, smoothed as
 * (ones + 0.5) / (n + 1) (Hinton's "practical guide", section 8.1). With zero biases the hidden
 * units learn to switch the background off, and the state "all hidden units off" becomes a
 * spurious mode of uniform noise that chains started from noise never leave.
 */
function baseRateBias(data: Float32Array, n: number, visible: number): Float32Array {
  const ones = new Float64Array(visible);
  for (let r = 0; r < n; r++) {
    const row = r * visible;
    for (let i = 0; i < visible; i++) ones[i]! += data[row + i]!;
  }
  const b = new Float32Array(visible);
  for (let i = 0; i < visible; i++) {
    const p = (ones[i]! + 0.5) / (n + 1);
    b[i] = Math.log(p / (1 - p));
  }
  return b;
}

/** Mean and standard error of -F(v) over the rows of `x`, computed in chunks. */
function negFreeEnergyStats(rbm: BernoulliRBM, x: tf.Tensor2D): { mean: number; stdErr: number } {
  const n = x.shape[0];
  const values = new Float64Array(n);
  for (let start = 0; start < n; start += 1000) {
    const size = Math.min(1000, n - start);
    const f = tf.tidy(() => rbm.freeEnergy(tf.slice(x, [start, 0], [size, -1]) as tf.Tensor2D));
    const d = f.dataSync();
    for (let i = 0; i < size; i++) values[start + i] = -d[i]!;
    f.dispose();
  }
  let s = 0;
  for (const v of values) s += v;
  const mean = s / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { mean, stdErr: n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN };
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x);
}

/**
 * Trains a Bernoulli RBM on binarised MNIST digits (or any IDX image file) with CD-k or PCD-k,
 * evaluates it on held-out digits after every epoch (reconstruction error, exact
 * pseudo-likelihood), estimates its log-likelihood with AIS, and writes `rbm.json`,
 * `filters.png`, `samples.png`, `metrics.csv` and `summary.json` into `out`.
 */
export async function trainRbmMnist(o: RbmMnistOptions): Promise<RbmMnistResult> {
  const t0 = Date.now();
  const log = o.log ?? ((l: string) => console.log(l));
  checkOptions(o);
  const out = resolve(o.out);
  const modelPath = join(out, 'rbm.json');
  if (!o.overwrite && (await exists(modelPath))) {
    throw new InvalidArgumentError(
      '--out',
      `${out} already holds an RBM run (rbm.json); add --overwrite to replace it or choose another --out`,
    );
  }
  const { data, height, width } = await loadDigits(o);
  const visible = height * width;
  await mkdir(out, { recursive: true });
  const stream = o.progressStream ?? process.stderr;
  const note = (line: string) => {
    if (!o.quiet) stream.write(`${line}\n`);
  };
  const algo = `${o.pcd ? 'PCD' : 'CD'}-${o.k}`;
  note(
    `RBM ${visible}-${o.hidden}, ${algo}: ${o.limit} training and ${o.test} held-out digits (${height}x${width}, binarised ${o.binarize === 'sample' ? 'by sampling' : `at ${o.binarize}`}), ${o.epochs} epochs, batch ${o.batchSize}, lr ${o.lr}, momentum ${o.momentum}, weight decay ${o.weightDecay}`,
  );

  const trainT = tf.tensor2d(data.subarray(0, o.limit * visible), [o.limit, visible]);
  const testT = tf.tensor2d(data.subarray(o.limit * visible, (o.limit + o.test) * visible), [
    o.test,
    visible,
  ]);
  const plDigits = Math.min(o.plDigits, o.test);
  const plT = plDigits > 0 ? tf.slice(testT, [0, 0], [plDigits, visible]) : null;
  const rbm = new BernoulliRBM({ visible, hidden: o.hidden, seed: o.seed });
  rbm.setWeights({ b: baseRateBias(data, o.limit, visible) });
  const files: string[] = [];
  const history: RbmEpochRecord[] = [];
  let stopped = false;
  let aisResult: RbmAisResult | undefined;
  let trainSeconds = 0;
  try {
    // ---- training, with held-out metrics after every epoch
    const csvPath = join(out, 'metrics.csv');
    const csv = createWriteStream(csvPath);
    csv.write(`${METRIC_COLUMNS.join(',')}\n`);
    const bs = Math.min(o.batchSize, o.limit);
    const total = Math.ceil(o.limit / bs) * o.epochs;
    const progress = createProgress(stream, { quiet: o.quiet });
    const tTrain = Date.now();
    try {
      await rbm.fit(trainT, {
        epochs: o.epochs,
        batchSize: bs,
        k: o.k,
        persistent: o.pcd,
        ...(o.chains !== undefined && { chains: o.chains }),
        learningRate: o.lr,
        momentum: o.momentum,
        weightDecay: o.weightDecay,
        seed: (o.seed + 1) >>> 0,
        onBatchEnd: async (m) => {
          progress.update({
            epoch: m.epoch,
            epochs: o.epochs,
            step: m.step + 1,
            total,
            metrics: { recon: m.reconstructionError, 'F-gap': m.freeEnergyGap },
          });
          // let Ctrl-C (the abort signal), timers and I/O through between batches
          await yieldToEventLoop();
          if (o.signal?.aborted) throw new Stop();
        },
        onEpochEnd: async (m) => {
          const te = Date.now();
          const testRecon = reconstructionError(rbm, testT, { seed: (o.seed + 2) >>> 0 });
          const pl = plT ? pseudoLikelihood(rbm, plT) : { mean: Number.NaN, stdErr: Number.NaN };
          const rec: RbmEpochRecord = {
            epoch: m.epoch + 1,
            reconstructionError: m.reconstructionError,
            freeEnergyGap: m.freeEnergyGap,
            testReconstructionError: testRecon,
            testPseudoLikelihood: pl.mean,
            testPseudoLikelihoodStdErr: pl.stdErr,
            seconds: m.seconds,
            evalSeconds: (Date.now() - te) / 1000,
          };
          history.push(rec);
          csv.write(
            `${[
              rec.epoch,
              rec.reconstructionError,
              rec.freeEnergyGap,
              rec.testReconstructionError,
              plT ? rec.testPseudoLikelihood : '',
              plT ? rec.testPseudoLikelihoodStdErr : '',
              rec.seconds,
              rec.evalSeconds,
            ].join(',')}\n`,
          );
          progress.log(
            `epoch ${rec.epoch}/${o.epochs}: recon ${fixed(rec.reconstructionError, 4)} (held-out ${fixed(testRecon, 4)}), ` +
              `F-gap ${fixed(rec.freeEnergyGap, 3)}` +
              (plT
                ? `, pseudo-LL (held-out) ${fixed(pl.mean, 2)} ± ${fixed(pl.stdErr, 2)} nats`
                : '') +
              `, ${fixed(rec.seconds, 1)} s (+${fixed(rec.evalSeconds, 1)} s eval)`,
          );
        },
      });
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      stopped = true;
    } finally {
      progress.stop();
      await new Promise<void>((r) => csv.end(() => r()));
    }
    trainSeconds = (Date.now() - tTrain) / 1000;
    files.push(csvPath);

    // ---- the model and its filters (cheap; written even after Ctrl-C)
    await saveRBM(rbm, modelPath);
    files.push(modelPath);
    const nFilters = Math.min(o.hidden, 100);
    const cols = Math.ceil(Math.sqrt(nFilters));
    const filters = filtersToImage(rbm, {
      rows: Math.ceil(nFilters / cols),
      cols,
      imageShape: [height, width],
    });
    const filtersPng = join(out, 'filters.png');
    await savePng(filtersPng, imageGrid(filters, { range: [0, 1], cols, scale: 2 }));
    files.push(filtersPng);

    // ---- Gibbs samples from noise
    if (!stopped) {
      const rng = createRng((o.seed + 3) >>> 0);
      let v = rng.bernoulli(0.5, [o.samples, visible]) as tf.Tensor2D;
      const sp = createProgress(stream, { quiet: o.quiet, startStep: 0 });
      try {
        for (let done = 0; done < o.gibbsSteps; ) {
          const m = Math.min(GIBBS_CHUNK, o.gibbsSteps - done);
          done += m;
          // the last sweep shows p(v | h) (mean field), the usual way to picture RBM samples
          const next = rbm.gibbs(v, m, { seed: rng, meanField: done === o.gibbsSteps });
          v.dispose();
          v = next;
          sp.update({
            phase: 'samples',
            unit: 'Gibbs sweeps',
            epoch: 0,
            epochs: 1,
            step: done,
            total: o.gibbsSteps,
          });
          await yieldToEventLoop();
          if (o.signal?.aborted && done < o.gibbsSteps) {
            stopped = true;
            break;
          }
        }
        sp.stop();
        if (!stopped) {
          const pixels = Float32Array.from(v.dataSync());
          const samplesPng = join(out, 'samples.png');
          await savePng(
            samplesPng,
            imageGrid(
              { data: pixels, shape: [o.samples, height, width, 1] },
              { range: [0, 1], cols: Math.ceil(Math.sqrt(o.samples)), scale: 2 },
            ),
          );
          files.push(samplesPng);
        }
      } finally {
        sp.stop();
        v.dispose();
      }
    }

    // ---- AIS log-likelihood, in chunks of runs combined into one estimate
    if (!stopped && o.ais !== false) {
      const ta = Date.now();
      const chunks = Math.ceil(o.aisChains / AIS_CHUNK);
      const logw: number[] = [];
      let logZBase = Number.NaN;
      const ap = createProgress(stream, { quiet: o.quiet, startStep: 0 });
      note(
        `AIS: ${o.aisChains} chains x ${o.aisBetas} intermediate distributions (base rate from the training digits)`,
      );
      try {
        for (let c = 0; c < chunks; c++) {
          const runs = Math.floor(o.aisChains / chunks) + (c < o.aisChains % chunks ? 1 : 0);
          const r = ais(rbm, {
            runs,
            steps: o.aisBetas,
            baseData: trainT,
            seed: (o.seed + 100 + c) >>> 0,
          });
          logZBase = r.logZBase;
          logw.push(...r.logWeights);
          ap.update({
            phase: 'AIS',
            unit: 'chains',
            epoch: 0,
            epochs: 1,
            step: logw.length,
            total: o.aisChains,
          });
          await yieldToEventLoop();
          if (o.signal?.aborted && c < chunks - 1) {
            stopped = true;
            break;
          }
        }
      } finally {
        ap.stop();
      }
      if (!stopped) {
        const est = combineAisWeights(logZBase, logw);
        const test = negFreeEnergyStats(rbm, testT);
        const train = negFreeEnergyStats(rbm, trainT);
        aisResult = {
          logZ: est.logZ,
          logZStdErr: est.logZStdErr,
          testLogLikelihood: test.mean - est.logZ,
          testLogLikelihoodDataStdErr: test.stdErr,
          trainLogLikelihood: train.mean - est.logZ,
          effectiveSampleSize: est.effectiveSampleSize,
          runs: o.aisChains,
          betas: o.aisBetas,
          seconds: (Date.now() - ta) / 1000,
        };
      }
    }

    const seconds = (Date.now() - t0) / 1000;
    const summaryPath = join(out, 'summary.json');
    const { progressStream: _s, log: _l, signal: _g, ...settings } = o;
    await writeFile(
      summaryPath,
      `${JSON.stringify(
        {
          command: 'ebm rbm mnist',
          settings: { ...settings, data: o.data ?? 'bundled MNIST', visible, height, width },
          backend: tf.getBackend(),
          history,
          ais: aisResult ?? null,
          trainSeconds,
          seconds,
          stopped,
        },
        null,
        2,
      )}\n`,
    );
    files.push(summaryPath);

    const result: RbmMnistResult = {
      out,
      files,
      history,
      ...(aisResult && { ais: aisResult }),
      trainSeconds,
      seconds,
      stopped,
    };
    summary(result, o, algo, log);
    return result;
  } finally {
    rbm.dispose();
    tf.dispose([trainT, testT, ...(plT ? [plT] : [])]);
  }
}

function summary(
  r: RbmMnistResult,
  o: RbmMnistOptions,
  algo: string,
  log: (l: string) => void,
): void {
  const first = r.history[0];
  const last = r.history.at(-1);
  log('');
  log(
    `ebm rbm mnist: ${o.hidden} hidden units, ${algo}, ${r.history.length} epoch${r.history.length === 1 ? '' : 's'} on ${o.limit} digits in ${fixed(r.trainSeconds, 1)} s${r.stopped ? ' (stopped early)' : ''}`,
  );
  if (first && last) {
    log(
      `  reconstruction error (held-out) ${fixed(first.testReconstructionError, 4)} -> ${fixed(last.testReconstructionError, 4)}`,
    );
    if (o.plDigits > 0) {
      log(
        `  pseudo-log-likelihood (${Math.min(o.plDigits, o.test)} held-out digits) ${fixed(first.testPseudoLikelihood, 2)} -> ${fixed(last.testPseudoLikelihood, 2)} nats`,
      );
    }
  }
  const a = r.ais;
  if (a) {
    log(
      `  AIS log-likelihood (${o.test} held-out digits): ${fixed(a.testLogLikelihood, 2)} ± ${fixed(a.logZStdErr, 2)} nats per digit (training digits: ${fixed(a.trainLogLikelihood, 2)})`,
    );
    log(
      `  log Z = ${fixed(a.logZ, 2)} ± ${fixed(a.logZStdErr, 2)} from ${a.runs} AIS chains x ${a.betas} betas in ${fixed(a.seconds, 1)} s; effective sample size ${fixed(a.effectiveSampleSize, 1)}; ± is the AIS standard error (the held-out mean adds ± ${fixed(a.testLogLikelihoodDataStdErr, 2)} from the choice of digits)`,
    );
    if (a.effectiveSampleSize < Math.max(3, a.runs / 10)) {
      log(
        `  note: few AIS chains carry the estimate (effective sample size ${fixed(a.effectiveSampleSize, 1)} of ${a.runs}); the standard error is unreliable and AIS tends to overestimate the log-likelihood: raise --ais-betas`,
      );
    }
  } else if (r.stopped) {
    const skipped = r.files.some((f) => f.endsWith('samples.png'))
      ? 'the AIS estimate'
      : 'samples.png and the AIS estimate';
    log(`  ${skipped} skipped (stopped early)`);
  }
  log(
    `  wrote ${r.files.map((f) => f.replace(`${r.out}/`, '')).join(', ')} in ${r.out} (${fixed(r.seconds, 1)} s in all)`,
  );
}
