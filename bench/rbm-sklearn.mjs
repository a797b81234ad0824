// Bench "rbm-sklearn": @ebmjs/rbm's BernoulliRBM against scikit-learn's BernoulliRBM on the same
// binarised MNIST rows (bundled 10k subset from @ebmjs/datasets, threshold 0.5, 784 units).
//
// Both train PCD-1 with `batch` persistent chains (scikit-learn's algorithm), the same learning
// rate, batch size, epochs and hidden units, no momentum or weight decay. Reported per library:
//   seconds per epoch (JS: median epoch of fit(); Python: total fit() time / epochs),
//   pseudo-likelihood on the test rows (exact all-units version, and scikit-learn's stochastic
//   single-flip score_samples), and the AIS estimate of the test log-likelihood in nats
//   (the same ebmjs AIS code, same schedule and runs, for both models: sklearn's weights are
//   loaded into an ebmjs RBM).
//
//   node bench/rbm-sklearn.mjs [--quick] [--backend wasm|cpu] [--epochs 5] [--hidden 256]
// or from bench/run.mjs once registered as 'rbm-sklearn': './rbm-sklearn.mjs'.
// Needs packages/tensor-backend, packages/datasets and packages/rbm built, and Debian's
// python3-sklearn (/usr/bin/python3).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadMnist } from '@ebmjs/datasets';
import { ais, BernoulliRBM, pseudoLikelihood, reconstructionError } from '@ebmjs/rbm';
import { benchDir, median, table } from './lib.mjs';

export const name = 'rbm-sklearn';
export const description =
  'BernoulliRBM (PCD-1) on binarised MNIST: seconds/epoch, pseudo-likelihood and AIS log-likelihood, ebmjs vs scikit-learn';

const PYTHON = '/usr/bin/python3';

function argValue(args, flag, fallback) {
  const i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Evaluates an ebmjs RBM on the test rows: PL (exact + stochastic), AIS LL, recon error. */
function evaluate(rbm, train, test, { runs, steps, seed }) {
  const t0 = performance.now();
  const plExact = pseudoLikelihood(rbm, test).mean;
  const plStoch = pseudoLikelihood(rbm, test, { method: 'stochastic', seed }).mean;
  const r = ais(rbm, { runs, steps, data: test, baseData: train, seed });
  return {
    pseudoLikelihoodExact: plExact,
    pseudoLikelihoodStochastic: plStoch,
    aisLogZ: r.logZ,
    aisLogZStdErr: r.logZStdErr,
    aisEffectiveSampleSize: r.effectiveSampleSize,
    aisLogLikelihood: r.logLikelihood,
    reconstructionError: reconstructionError(rbm, test, { seed }),
    evalSeconds: (performance.now() - t0) / 1000,
  };
}

export async function run({ quick = false, args = [] } = {}) {
  const backend = argValue(args, '--backend', 'wasm');
  const hidden = Number(argValue(args, '--hidden', quick ? 64 : 256));
  const epochs = Number(argValue(args, '--epochs', quick ? 1 : 5));
  const batch = Number(argValue(args, '--batch', 10));
  const lr = Number(argValue(args, '--lr', 0.05));
  const nTrain = Number(argValue(args, '--train', quick ? 2000 : 8000));
  const nTest = Number(argValue(args, '--test', quick ? 500 : 2000));
  const aisSteps = Number(argValue(args, '--ais-steps', quick ? 300 : 10000));
  const aisRuns = Number(argValue(args, '--ais-runs', 100));
  await tf.setBackend(backend);
  await tf.ready();

  const mnist = await loadMnist({ binarize: 0.5, flatten: true, pad: false });
  const V = mnist.shape[1];
  if (nTrain + nTest > mnist.shape[0]) throw new Error('not enough rows');
  const train = { data: mnist.data.subarray(0, nTrain * V), shape: [nTrain, V] };
  const test = { data: mnist.data.subarray(nTrain * V, (nTrain + nTest) * V), shape: [nTest, V] };
  const config = { backend, hidden, epochs, batch, lr, nTrain, nTest, aisSteps, aisRuns };
  console.log('config', JSON.stringify(config));

  const seeds = Number(argValue(args, '--seeds', quick ? 1 : 3));
  const f = (x, d = 2) => (x == null || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
  const header = [
    'model',
    'seed',
    's/epoch',
    'PL exact',
    'PL stoch.',
    'sklearn PL',
    'AIS log Z',
    '±SE',
    'ESS',
    'AIS LL (nats)',
    'recon',
  ];
  const row = (label, seed, r) => [
    label,
    seed,
    f(r.secondsPerEpoch),
    f(r.pseudoLikelihoodExact),
    f(r.pseudoLikelihoodStochastic),
    f(r.sklearnScoreSamples),
    f(r.aisLogZ),
    f(r.aisLogZStdErr),
    f(r.aisEffectiveSampleSize, 0),
    f(r.aisLogLikelihood),
    f(r.reconstructionError, 4),
  ];
  const mid = (runs) => {
    const out = {};
    for (const k of Object.keys(runs[0] ?? {})) {
      if (typeof runs[0][k] === 'number') out[k] = median(runs.map((r) => r[k]));
    }
    return out;
  };

  // --- ebmjs ---
  const jsRuns = [];
  for (let seed = 0; seed < seeds; seed++) {
    const rbm = new BernoulliRBM({ visible: V, hidden, seed: 100 + seed });
    const history = await rbm.fit(train, {
      epochs,
      batchSize: batch,
      k: 1,
      persistent: true,
      chains: batch,
      learningRate: lr,
      seed: 200 + seed,
    });
    jsRuns.push({
      secondsPerEpoch: median(history.epochs.map((e) => e.seconds)),
      ...evaluate(rbm, train, test, { runs: aisRuns, steps: aisSteps, seed: 3 }),
    });
    rbm.dispose();
    console.log(table([header, row(`ebmjs (${backend})`, seed, jsRuns[seed])]));
  }

  // --- scikit-learn ---
  const skRuns = [];
  let skNote = null;
  let library = 'scikit-learn';
  let blasThreads = null;
  const dir = mkdtempSync(join(tmpdir(), 'ebmjs-rbm-bench-'));
  try {
    writeFileSync(join(dir, 'train.u8'), Uint8Array.from(train.data));
    writeFileSync(join(dir, 'test.u8'), Uint8Array.from(test.data));
    for (let seed = 0; seed < seeds && !skNote; seed++) {
      const out = join(dir, `sk${seed}.json`);
      const py = spawnSync(
        PYTHON,
        [
          join(benchDir, 'rbm_sklearn.py'),
          dir,
          out,
          ...['--hidden', hidden, '--lr', lr, '--batch', batch, '--epochs', epochs],
          ...['--visible', V, '--seed', seed].map(String),
        ].map(String),
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      if (py.status !== 0) {
        skNote = `python failed: ${(py.stderr || py.error?.message || '').slice(-400)}`;
        break;
      }
      const res = JSON.parse(readFileSync(out, 'utf8'));
      library = res.library;
      blasThreads = res.blasThreads;
      const skRbm = new BernoulliRBM({ visible: V, hidden, seed: 1 });
      skRbm.setWeights({ W: res.W, b: res.b, c: res.c });
      skRuns.push({
        secondsPerEpoch: res.secondsPerEpoch,
        sklearnScoreSamples: res.pseudoLikelihoodStochastic,
        ...evaluate(skRbm, train, test, { runs: aisRuns, steps: aisSteps, seed: 3 }),
      });
      skRbm.dispose();
      console.log(table([header, row(library, seed, skRuns[seed])]));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const js = mid(jsRuns);
  const sk = skRuns.length ? mid(skRuns) : null;
  const rows = [header];
  for (const [i, r] of jsRuns.entries()) rows.push(row(`ebmjs (${backend})`, i, r));
  for (const [i, r] of skRuns.entries()) rows.push(row(library, i, r));
  rows.push(row(`ebmjs (${backend})`, 'median', js));
  if (sk) rows.push(row(library, 'median', sk));
  console.log(`\n${table(rows)}`);
  if (skNote) console.log(skNote);
  if (sk)
    console.log(`scikit-learn BLAS: ${JSON.stringify(blasThreads)}; tfjs ${backend}: 1 thread`);
  return {
    config: { ...config, seeds },
    ebmjs: { median: js, runs: jsRuns },
    sklearn: sk && { library, blasThreads, median: sk, runs: skRuns },
    note: skNote,
  };
}

// Standalone: node bench/rbm-sklearn.mjs [--quick] [--backend cpu] ...
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const result = await run({ quick: args.includes('--quick'), args });
  console.log(
    JSON.stringify({ ebmjs: result.ebmjs.median, sklearn: result.sklearn?.median }, null, 1),
  );
}
