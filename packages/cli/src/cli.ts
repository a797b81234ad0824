/**
 * The `ebm` command line: argument parsing (commander), backend choice and error reporting.
 *
 * @module cli
 */
import {
  type BackendName,
  type ConvKernels,
  enableRelaxedSimd,
  initBackend,
  nativeKernelsStatus,
} from '@ebmjs/tensor-backend';
import {
  Command,
  InvalidArgumentError as CommanderArgError,
  CommanderError,
  Option,
} from 'commander';
import { trainRbmMnist } from './rbm-mnist.js';
import { sampleCheckpoint } from './sample.js';
import { IMAGE_SGLD, type SgldSettings, TOY_SGLD, trainMnist, trainToy } from './train.js';

/**
 * Defaults of `ebm train mnist`: 512 updates; measured 2 min 16 s wall time on 2 cores with the
 * wasm backend (3 min 35 s while other jobs shared the cores).
 */
export const MNIST_DEFAULTS = {
  epochs: 4,
  batchSize: 32,
  steps: 20,
  limit: 4096,
  lr: 1e-3,
  alpha: 0.1,
  sampleSteps: 128,
  bufferSize: 8192,
} as const;

/** Defaults of `ebm train toy`: 768 updates, about 20-40 s on 2 cores (wasm). */
export const TOY_DEFAULTS = {
  epochs: 24,
  batchSize: 64,
  steps: 20,
  limit: 2048,
  lr: 1e-3,
  alpha: 0.1,
  sampleSteps: 200,
  bufferSize: 1024,
} as const;

/**
 * Defaults of `ebm rbm mnist`: a 784-500 RBM, CD-1, 2500 updates, then 64 chains of 1000 Gibbs
 * sweeps and AIS with 100 chains x 1000 betas; measured 1 min 24 s wall time on 2 shared cores
 * with the wasm backend (2 min 50 s while other jobs loaded them more).
 */
export const RBM_MNIST_DEFAULTS = {
  hidden: 500,
  epochs: 10,
  batchSize: 20,
  k: 1,
  limit: 5000,
  test: 1000,
  plDigits: 100,
  lr: 0.05,
  momentum: 0.5,
  weightDecay: 1e-4,
  binarize: 0.5,
  aisChains: 100,
  aisBetas: 1000,
  gibbsSteps: 1000,
  samples: 64,
} as const;

const BACKENDS: BackendName[] = ['tensorflow', 'wasm', 'cpu', 'webgl', 'webgpu'];

function int(name: string, min: number, max = Number.POSITIVE_INFINITY) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new CommanderArgError(
        Number.isFinite(max)
          ? `${name} must be an integer from ${min} to ${max}, got '${v}'`
          : `${name} must be an integer >= ${min}, got '${v}'`,
      );
    return n;
  };
}

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n > 0))
      throw new CommanderArgError(`${name} must be a number > 0, got '${v}'`);
    return n;
  };
}

function nonNegative(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= 0))
      throw new CommanderArgError(`${name} must be a number >= 0, got '${v}'`);
    return n;
  };
}

function fraction(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= 0 && n < 1))
      throw new CommanderArgError(`${name} must be a number in [0, 1), got '${v}'`);
    return n;
  };
}

function binarizeArg(v: string): number | 'sample' {
  if (v === 'sample') return v;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0 && n <= 1))
    throw new CommanderArgError(`--binarize must be a threshold in (0, 1] or 'sample', got '${v}'`);
  return n;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend (default: best available)').choices(BACKENDS);
const threadsOption = () =>
  new Option(
    '--threads <n>',
    'wasm threads, 1-8 (default: half the CPUs; more threads help only on an idle machine)',
  ).argParser(int('--threads', 1, 8));

// --relaxed-simd / --no-relaxed-simd; neither: relaxed SIMD enabled for this process (Node 20:
// a V8 flag; the ebm process is ours to configure, unlike a library's host), then the library's
// default: ebmjs's FMA convolutions on a 1-thread backend (see initBackend)
const relaxedSimdOption = () =>
  new Option(
    '--relaxed-simd',
    "wasm: ebmjs's convolutions with fused multiply-adds, with any thread count (default: with 1 thread)",
  );
const noRelaxedSimdOption = () =>
  new Option(
    '--no-relaxed-simd',
    "wasm: ebmjs's convolutions with a multiply and an add (about 1.35x slower than FMA)",
  );
// --native-kernels / --no-native-kernels; neither: initBackend's default (the native kernels where
// @ebmjs/native-kernels is built, unless --relaxed-simd or --no-relaxed-simd picks a wasm module;
// --threads is then their thread count)
const nativeKernelsOption = () =>
  new Option(
    '--native-kernels',
    "wasm: ebmjs's convolutions and swish as native code (@ebmjs/native-kernels; the default where it is built)",
  );
const noNativeKernelsOption = () =>
  new Option(
    '--no-native-kernels',
    "wasm: ebmjs's convolutions and swish in wasm, not native code",
  );
const convKernelsOption = () =>
  new Option(
    '--conv-kernels <which>',
    "wasm convolutions: ebmjs's or tfjs's XNNPACK (default: ebmjs's with 1 thread, XNNPACK's with more)",
  ).choices(['ebmjs', 'xnnpack']);

async function useBackend(
  opts: {
    backend?: string;
    threads?: number;
    relaxedSimd?: boolean;
    nativeKernels?: boolean;
    convKernels?: ConvKernels;
  },
  io: Io,
  quiet: boolean,
) {
  if (opts.relaxedSimd === undefined && !process.env['EBMJS_WASM_RELAXED_SIMD']) {
    await enableRelaxedSimd();
  }
  const info = await initBackend({
    ...(opts.backend ? { backend: opts.backend as BackendName } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.relaxedSimd !== undefined ? { relaxedSimd: opts.relaxedSimd } : {}),
    ...(opts.nativeKernels !== undefined ? { nativeKernels: opts.nativeKernels } : {}),
    ...(opts.convKernels !== undefined ? { convKernels: opts.convKernels } : {}),
  });
  if (!quiet) {
    const extras = [
      ...(info.simd !== undefined ? [`simd ${info.simd ? 'on' : 'off'}`] : []),
      ...(info.threadCount !== undefined
        ? [`${info.threadCount} thread${info.threadCount === 1 ? '' : 's'}`]
        : []),
      ...(info.convVariant === 'native'
        ? [`native convolutions, ${nativeKernelsStatus().isa}`]
        : info.convKernels === 'ebmjs'
          ? [info.relaxedSimd ? 'FMA convolutions' : 'multiply-add convolutions']
          : []),
    ];
    io.err(`backend: ${info.name}${extras.length ? ` (${extras.join(', ')})` : ''}\n`);
  }
}

function trainOptions(
  cmd: Command,
  d: typeof MNIST_DEFAULTS | typeof TOY_DEFAULTS,
  out: string,
  sgld: SgldSettings,
): Command {
  return cmd
    .option('-o, --out <dir>', 'output directory', out)
    .option('-e, --epochs <n>', 'passes over the training data', int('--epochs', 1), d.epochs)
    .option(
      '-b, --batch-size <n>',
      'examples per training step',
      int('--batch-size', 1),
      d.batchSize,
    )
    .option('-s, --steps <n>', 'Langevin steps per training step', int('--steps', 0), d.steps)
    .option('-l, --limit <n>', 'number of training examples', int('--limit', 1), d.limit)
    .option('--lr <x>', 'learning rate (Adam, beta1 0)', positive('--lr'), d.lr)
    .option('--alpha <x>', 'weight of the energy regulariser', nonNegative('--alpha'), d.alpha)
    .option('--buffer-size <n>', 'replay buffer capacity', int('--buffer-size', 1), d.bufferSize)
    .option(
      '--step-size <x>',
      `SGLD step size (default: ${sgld.stepSize})`,
      positive('--step-size'),
    )
    .option(
      '--noise <x>',
      `SGLD noise standard deviation (default: ${sgld.noise})`,
      nonNegative('--noise'),
    )
    .option(
      '--grad-clip <x>',
      `SGLD per-element gradient clip (default: ${sgld.gradClip})`,
      positive('--grad-clip'),
    )
    .option(
      '--sample-steps <n>',
      'Langevin steps for the pictures written at the end',
      int('--sample-steps', 1),
      d.sampleSteps,
    )
    .option('--seed <n>', 'random seed (same seed + backend = same run)', int('--seed', 0), 0)
    .option(
      '--checkpoint-every <n>',
      'checkpoint every n steps (default: every epoch)',
      int('--checkpoint-every', 1),
    )
    .option('--resume', 'continue from the checkpoint in <out>/checkpoint', false)
    .option(
      '--overwrite',
      'start over even if <out> holds a previous run (deletes its checkpoints)',
      false,
    )
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(relaxedSimdOption())
    .addOption(noRelaxedSimdOption())
    .addOption(nativeKernelsOption())
    .addOption(noNativeKernelsOption())
    .addOption(convKernelsOption())
    .option('-q, --quiet', 'no progress output', false);
}

/** Builds the `ebm` program. `io` receives normal output and progress/diagnostics. */
export function buildProgram(
  io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
  signal?: AbortSignal,
): Command {
  const line = (s: string) => io.out(`${s}\n`);
  const errLine = (s: string) => io.err(`${s}\n`);
  const program = new Command('ebm')
    .description(
      'Train energy-based models and draw samples from them (TensorFlow.js; wasm backend by default in Node).',
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  const train = program
    .command('train')
    .description('train an energy-based model with contrastive divergence');

  trainOptions(
    train
      .command('mnist')
      .description(
        'train the conv energy net on MNIST digits (bundled 10k subset, or --data <idx file>); writes samples.png, langevin.png, metrics.csv and a checkpoint',
      )
      .option(
        '--data <file>',
        'IDX image file (raw or .gz), e.g. /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz',
      ),
    MNIST_DEFAULTS,
    './ebm-out/mnist',
    IMAGE_SGLD,
  )
    .addHelpText(
      'after',
      `
Defaults are a small budget that finishes in a few minutes on 2 CPU cores (wasm backend):
  ${MNIST_DEFAULTS.limit} digits, batch ${MNIST_DEFAULTS.batchSize}, ${MNIST_DEFAULTS.steps} Langevin steps per update, ${MNIST_DEFAULTS.epochs} epochs.
The book trains on 60k digits with 60 steps for 60 epochs; raise --limit/--steps/--epochs for better samples.

Examples:
  ebm train mnist
  ebm train mnist --epochs 10 --limit 4096 --out runs/mnist
  ebm train mnist --data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz --out runs/fashion
  ebm train mnist --resume --epochs 6       # continue a run to 6 epochs`,
    )
    .action(async (opts) => {
      await useBackend(opts, io, opts.quiet);
      if (!opts.quiet) {
        errLine(
          `training on ${opts.limit} examples: ${opts.epochs} epochs, batch ${opts.batchSize}, ${opts.steps} Langevin steps/update, lr ${opts.lr}`,
        );
      }
      await trainMnist({ ...opts, log: line, signal });
    });

  trainOptions(
    train
      .command('toy')
      .description(
        'train an MLP energy on a 2-D toy distribution; writes landscape.png (energy landscape with samples), metrics.csv and a checkpoint',
      )
      .option(
        '-d, --dataset <name>',
        'two-moons, eight-gaussians, swiss-roll, rings, checkerboard, pinwheel, grid',
        'two-moons',
      ),
    TOY_DEFAULTS,
    './ebm-out/toy',
    TOY_SGLD,
  )
    .addHelpText(
      'after',
      `
Examples:
  ebm train toy --dataset two-moons
  ebm train toy --dataset eight-gaussians --epochs 20 --out runs/8g`,
    )
    .action(async (opts) => {
      await useBackend(opts, io, opts.quiet);
      await trainToy({ ...opts, log: line, signal });
    });

  program
    .command('sample')
    .description('draw Langevin samples from a trained checkpoint and write them as a PNG')
    .argument(
      '<checkpoint>',
      'training output dir, checkpoint root (with latest.json) or one checkpoint dir',
    )
    .option('-n, --n <n>', 'number of samples', int('--n', 1), 64)
    .option('-s, --steps <n>', 'Langevin steps from uniform noise', int('--steps', 1), 256)
    .option(
      '-o, --out <file.png>',
      'output PNG (default: samples-from-checkpoint.png in the training output dir)',
    )
    .option('--seed <n>', 'random seed', int('--seed', 0), 0)
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(relaxedSimdOption())
    .addOption(noRelaxedSimdOption())
    .addOption(nativeKernelsOption())
    .addOption(noNativeKernelsOption())
    .addOption(convKernelsOption())
    .addHelpText(
      'after',
      '\nExample:\n  ebm sample ./ebm-out/mnist --n 64 --steps 256 --out samples.png',
    )
    .action(async (checkpoint: string, opts) => {
      await useBackend(opts, io, false);
      const r = await sampleCheckpoint({ checkpoint, ...opts });
      line(`wrote ${r.file}`);
    });

  const rbm = program
    .command('rbm')
    .description('restricted Boltzmann machines (Bernoulli RBM, CD-k / PCD, AIS log-likelihood)');

  const R = RBM_MNIST_DEFAULTS;
  rbm
    .command('mnist')
    .description(
      'train a Bernoulli RBM on binarised 28x28 MNIST digits (bundled 10k subset, or --data <idx file>) with CD-k or PCD-k; prints held-out metrics every epoch and an AIS log-likelihood; writes filters.png, samples.png, rbm.json, metrics.csv and summary.json',
    )
    .option('-o, --out <dir>', 'output directory', './ebm-out/rbm-mnist')
    .option('--hidden <n>', 'hidden units', int('--hidden', 1), R.hidden)
    .option('-e, --epochs <n>', 'passes over the training digits', int('--epochs', 1), R.epochs)
    .option('-b, --batch-size <n>', 'digits per update', int('--batch-size', 1), R.batchSize)
    .option('-k, --k <n>', 'Gibbs steps per update (CD-k, or PCD-k with --pcd)', int('--k', 1), R.k)
    .option('--pcd', 'persistent contrastive divergence (chains kept between updates)', false)
    .option(
      '--chains <n>',
      'persistent chains with --pcd (default: the batch size)',
      int('--chains', 1),
    )
    .option('-l, --limit <n>', 'training digits', int('--limit', 1), R.limit)
    .option(
      '--test <n>',
      'held-out digits (after the training ones) for the metrics and AIS',
      int('--test', 2),
      R.test,
    )
    .option(
      '--pl-digits <n>',
      'held-out digits for the exact pseudo-likelihood after every epoch (at most --test; 0: skip)',
      int('--pl-digits', 0),
      R.plDigits,
    )
    .option('--lr <x>', 'learning rate', positive('--lr'), R.lr)
    .option('--momentum <x>', 'momentum in [0, 1)', fraction('--momentum'), R.momentum)
    .option(
      '--weight-decay <x>',
      'L2 penalty on the weights',
      nonNegative('--weight-decay'),
      R.weightDecay,
    )
    .option(
      '--binarize <x>',
      "threshold on the [0, 1] intensity, or 'sample' (each pixel on with probability = intensity, seeded by --seed)",
      binarizeArg,
      R.binarize,
    )
    .option(
      '--data <file>',
      'IDX image file (raw or .gz), e.g. /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz',
    )
    .option('--ais-chains <n>', 'independent AIS runs', int('--ais-chains', 2), R.aisChains)
    .option(
      '--ais-betas <n>',
      'intermediate distributions of the linear AIS schedule (more = less biased, slower)',
      int('--ais-betas', 1),
      R.aisBetas,
    )
    .option('--no-ais', 'skip the AIS log-likelihood')
    .option(
      '--gibbs-steps <n>',
      'Gibbs sweeps from noise for samples.png',
      int('--gibbs-steps', 1),
      R.gibbsSteps,
    )
    .option('--samples <n>', 'chains (pictures) in samples.png', int('--samples', 1), R.samples)
    .option('--seed <n>', 'random seed (same seed + backend = same run)', int('--seed', 0), 0)
    .option('--overwrite', "replace a previous run's files in <out>", false)
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(relaxedSimdOption())
    .addOption(noRelaxedSimdOption())
    .addOption(nativeKernelsOption())
    .addOption(noNativeKernelsOption())
    .addOption(convKernelsOption())
    .option('-q, --quiet', 'no progress output (the results are still printed)', false)
    .addHelpText(
      'after',
      `
Defaults finish in 1.5-3 minutes on 2 CPU cores (wasm backend): ${R.limit} digits, ${R.hidden} hidden units,
CD-${R.k}, batch ${R.batchSize}, ${R.epochs} epochs, then ${R.aisChains} AIS chains x ${R.aisBetas} betas and ${R.samples} chains of ${R.gibbsSteps} Gibbs sweeps.
Log-likelihoods are in nats per digit. With 1000 betas the AIS estimate is good to a few nats on the
default model, not to its printed standard error; more --ais-betas reduce its bias (and cost time).

Examples:
  ebm rbm mnist
  ebm rbm mnist --hidden 500 --epochs 20 --k 1 --pcd --lr 0.01 --out runs/rbm-pcd
  ebm rbm mnist --limit 9000 --ais-betas 10000 --binarize sample
  ebm rbm mnist --hidden 64 --epochs 2 --no-ais    # a quick look at the filters`,
    )
    .action(async (opts) => {
      await useBackend(opts, io, opts.quiet);
      await trainRbmMnist({ ...opts, log: line, signal });
    });

  program.addHelpText(
    'after',
    `
Quick start:
  ebm train toy --dataset two-moons     # under a minute: ./ebm-out/toy/landscape.png
  ebm train mnist                       # a few minutes: ./ebm-out/mnist/samples.png
  ebm sample ./ebm-out/mnist --n 64     # more samples from the trained model
  ebm rbm mnist                         # a few minutes: ./ebm-out/rbm-mnist/filters.png, AIS log-likelihood

Run 'ebm <command> --help' (e.g. 'ebm train mnist --help') for every option.`,
  );
  return program;
}

/**
 * Runs the CLI with `argv` (as process.argv). Returns the exit code: 0 on success, 1 on errors
 * (one line on stderr), the code commander chose for usage errors.
 */
export async function main(argv: string[], io?: Io, signal?: AbortSignal): Promise<number> {
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  const program = buildProgram(io, signal);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with 0; commander already printed its one-line message
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    const name = e instanceof Error && e.name !== 'Error' ? `${e.name}: ` : '';
    err(`ebm: error: ${name}${msg.split('\n')[0]}\n`);
    if (process.env.EBM_DEBUG && e instanceof Error) err(`${e.stack}\n`);
    return 1;
  }
}
