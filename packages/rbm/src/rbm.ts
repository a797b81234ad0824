/**
 * Restricted Boltzmann machines with binary hidden units: {@link BernoulliRBM} (binary visible
 * units) and {@link GaussianBernoulliRBM} (real visible units with a fixed noise level).
 *
 * @module rbm
 */

import {
  assertInRange,
  assertInteger,
  assertPositive,
  DivergenceError,
  InvalidArgumentError,
  type Rng,
  type SeedOrRng,
  ShapeError,
  softplus,
  toRng,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { type RBMData, toMatrix } from './data.js';
import * as fast from './random.js';

/** Options shared by both RBM kinds. */
export interface RBMOptions {
  /** Number of visible units (e.g. 784 for flattened 28x28 images). */
  visible: number;
  /** Number of hidden (binary) units. */
  hidden: number;
  /**
   * Seed or random stream for the initial weights and every later draw (Gibbs sampling,
   * training) that is not given its own seed.
   */
  seed?: SeedOrRng;
  /** Standard deviation of the initial weights, drawn from N(0, initScale^2). Default 0.01. */
  initScale?: number;
}

/** Options of {@link GaussianBernoulliRBM}. */
export interface GaussianBernoulliRBMOptions extends RBMOptions {
  /**
   * Standard deviation sigma of every visible unit given the hidden ones. Fixed (not learned);
   * default 1, which suits data standardised to zero mean and unit variance per unit.
   */
  sigma?: number;
}

/** Options of one training step ({@link RBM.step}); {@link RBM.fit} fills them from its own. */
export interface StepOptions {
  /** Gibbs steps in the negative phase (CD-k / PCD-k). Integer >= 1, default 1. */
  k?: number;
  /** Persistent contrastive divergence: keep the negative chains between steps. Default false. */
  persistent?: boolean;
  /** Number of persistent chains (PCD only). Default: the size of the first batch. */
  chains?: number;
  /** Step size. Default 0.05. */
  learningRate?: number;
  /** Momentum in [0, 1). Default 0. */
  momentum?: number;
  /** L2 penalty on the weights (not the biases), >= 0. Default 0. */
  weightDecay?: number;
  /** Seed or stream for this step's draws; default: the model's own stream. */
  seed?: SeedOrRng;
}

/** Metrics of one training step. */
export interface StepMetrics {
  /**
   * Mean squared error per unit between the batch and its one-step reconstruction
   * E[v | h], h ~ p(h | v). A rough progress signal, not a likelihood.
   */
  reconstructionError: number;
  /**
   * Mean free energy of the batch minus that of the negative samples (the CD-k reconstructions
   * or the PCD chains). Its gradient is the CD update; it drifts towards 0 (or below) as training
   * proceeds. Not a likelihood.
   */
  freeEnergyGap: number;
}

/** Learning rate as a constant or a schedule of (epoch (0-based), global step (0-based)). */
export type LearningRate = number | ((epoch: number, step: number) => number);

/** Metrics of one epoch, passed to `onEpochEnd` and collected in the fit history. */
export interface EpochMetrics extends StepMetrics {
  /** 0-based epoch index. */
  epoch: number;
  /** Batches in this epoch. */
  batches: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/** Options of {@link RBM.fit}. */
export interface FitOptions extends Omit<StepOptions, 'learningRate' | 'seed'> {
  /** Passes over the data. Integer >= 1, default 10. */
  epochs?: number;
  /** Rows per mini-batch. Integer >= 1, default 32. The last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Constant learning rate or schedule `(epoch, step) => rate`. Default 0.05. */
  learningRate?: LearningRate;
  /** Shuffle the rows every epoch. Default true. */
  shuffle?: boolean;
  /** Seed or stream for shuffling and sampling; default: the model's own stream. */
  seed?: SeedOrRng;
  /** Called after every batch. May return a promise, which is awaited. */
  onBatchEnd?: (
    metrics: StepMetrics & { epoch: number; batch: number; step: number },
  ) => void | Promise<void>;
  /** Called after every epoch. May return a promise; returning `false` stops training. */
  onEpochEnd?: (metrics: EpochMetrics) => unknown;
  /** `true` prints one line per epoch to the console; a function receives that line instead. */
  progress?: boolean | ((line: string) => void);
}

/** What {@link RBM.fit} returns. */
export interface FitHistory {
  epochs: EpochMetrics[];
}

/** Serialised form of an RBM (see `rbmToJSON` / `rbmFromJSON`). */
export interface RBMJSON {
  format: 'ebmjs-rbm';
  version: 1;
  kind: RBMKind;
  visible: number;
  hidden: number;
  /** Gaussian-Bernoulli only. */
  sigma?: number;
  /** Row-major weights `[visible, hidden]`. */
  weights: number[];
  visibleBias: number[];
  hiddenBias: number[];
}

/** The two kinds of RBM. */
export type RBMKind = 'bernoulli' | 'gaussian-bernoulli';

/**
 * `tf.matMul` with transpose flags, except on wasm, where tfjs 4.22's transposed products are
 * 7-10x slower than an explicit transpose followed by a plain product (measured: [100, 256] x
 * [784, 256]^T took 17 ms with the flag, 1.7 ms with `tf.transpose`); on cpu the flags are faster.
 */
function matMul(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() =>
    tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b),
  );
}

function checkSigma<T>(options: T): T {
  const sigma = (options as { sigma?: unknown } | null)?.sigma ?? 1;
  assertPositive('options.sigma', sigma);
  return options;
}

function checkK(name: string, k: unknown): number {
  assertInteger(name, k, 1);
  return k;
}

/**
 * Common machinery of both RBM kinds. Energies take the form
 * E(v, h) = V(v) - c.h - (s v)^T W h, with s = 1 (Bernoulli) or 1 / sigma (Gaussian-Bernoulli) and
 * V the visible term; all methods return new tensors that the caller owns.
 */
export abstract class RBM {
  /** Which kind of RBM this is. */
  abstract readonly kind: RBMKind;
  /** Number of visible units. */
  readonly visible: number;
  /** Number of hidden units. */
  readonly hidden: number;
  /** Weights `[visible, hidden]`. */
  readonly W: tf.Variable<tf.Rank.R2>;
  /** Visible bias `[visible]`. */
  readonly b: tf.Variable<tf.Rank.R1>;
  /** Hidden bias `[hidden]`. */
  readonly c: tf.Variable<tf.Rank.R1>;
  /** The model's own random stream. */
  protected readonly rng: Rng;
  private chain: tf.Variable<tf.Rank.R2> | null = null;
  private velocity: { W: tf.Variable; b: tf.Variable; c: tf.Variable } | null = null;
  private disposed = false;

  protected constructor(options: RBMOptions, name: string) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(name, 'expected an options object { visible, hidden }');
    }
    assertInteger(`${name}.visible`, options.visible, 1);
    assertInteger(`${name}.hidden`, options.hidden, 1);
    const initScale = options.initScale ?? 0.01;
    assertPositive(`${name}.initScale`, initScale, { allowZero: true });
    this.visible = options.visible;
    this.hidden = options.hidden;
    this.rng = toRng(options.seed);
    const w0 = this.rng.normal([this.visible, this.hidden], 0, initScale);
    this.W = tf.variable(w0 as tf.Tensor2D, true, undefined, 'float32');
    w0.dispose();
    // tf.variable shares the initial tensor's data: create it in a tidy so that tensor is freed
    this.b = tf.tidy(() => tf.variable(tf.zeros([this.visible]) as tf.Tensor1D));
    this.c = tf.tidy(() => tf.variable(tf.zeros([this.hidden]) as tf.Tensor1D));
  }

  /** Trainable variables `[W, b, c]`. */
  get variables(): tf.Variable[] {
    return [this.W, this.b, this.c];
  }

  /** Scale s applied to visible units in the interaction term (1 / sigma, or 1). */
  protected abstract get visibleScale(): number;
  /** The visible term V(v) of the energy, per row: `[N, visible] -> [N]`. */
  /** @internal */
  abstract visibleTerm(v: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor1D;
  /** Mean of p(v | h) given the visible pre-activation `bias + s' W h` already formed. */
  protected abstract visibleMeanFromInput(input: tf.Tensor2D): tf.Tensor2D;
  /** Draw v ~ p(v | h) given its mean. */
  protected abstract sampleVisibleFromMean(mean: tf.Tensor2D, rng: Rng): tf.Tensor2D;
  /** The value domain of visible data. */
  protected abstract get domain(): 'unit' | 'real';
  /** Scale of W h in the visible conditional (sigma for Gaussian-Bernoulli, 1 for Bernoulli). */
  protected abstract get visibleOutScale(): number;

  /** @internal Throws if the model was disposed. */
  protected live(): void {
    if (this.disposed) throw new InvalidArgumentError('rbm', 'this RBM has been disposed');
  }

  /** Checks a visible batch (tensor) and returns it. @internal */
  protected checkV(name: string, v: unknown): tf.Tensor2D {
    this.live();
    if (!(v instanceof tf.Tensor) || v.isDisposed) {
      throw new InvalidArgumentError(name, 'expected a live tf.Tensor2D');
    }
    if (v.rank !== 2 || v.shape[1] !== this.visible) {
      throw new ShapeError(
        name,
        `expected shape [N, ${this.visible}], got [${v.shape.join(', ')}]`,
      );
    }
    return v as tf.Tensor2D;
  }

  /** Checks a hidden batch (tensor) and returns it. @internal */
  protected checkH(name: string, h: unknown): tf.Tensor2D {
    this.live();
    if (!(h instanceof tf.Tensor) || h.isDisposed) {
      throw new InvalidArgumentError(name, 'expected a live tf.Tensor2D');
    }
    if (h.rank !== 2 || h.shape[1] !== this.hidden) {
      throw new ShapeError(name, `expected shape [N, ${this.hidden}], got [${h.shape.join(', ')}]`);
    }
    return h as tf.Tensor2D;
  }

  /** Hidden pre-activation c + (s v) W, `[N, hidden]`. Unchecked. @internal */
  hiddenInput(v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const sv = this.visibleScale === 1 ? v : tf.mul(v, this.visibleScale);
      return tf.add(tf.matMul(sv, this.W), this.c) as tf.Tensor2D;
    });
  }

  /** Visible pre-activation b + s' h W^T, `[N, visible]`. Unchecked. @internal */
  visibleInput(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const wh = matMul(h, this.W, false, true);
      const scaled = this.visibleOutScale === 1 ? wh : tf.mul(wh, this.visibleOutScale);
      return tf.add(scaled, this.b) as tf.Tensor2D;
    });
  }

  /** Energy E(v, h) per row: `[N, visible], [N, hidden] -> [N]`. */
  energy(v: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor1D {
    this.checkV('v', v);
    this.checkH('h', h);
    if (v.shape[0] !== h.shape[0]) {
      throw new ShapeError('h', `expected ${v.shape[0]} rows like v, got ${h.shape[0]}`);
    }
    return tf.tidy(() => {
      const sv = this.visibleScale === 1 ? v : tf.mul(v, this.visibleScale);
      const interaction = tf.sum(tf.mul(tf.matMul(sv, this.W), h), 1);
      const hiddenTerm = tf.sum(tf.mul(h, this.c), 1);
      return tf.sub(tf.sub(this.visibleTerm(v), hiddenTerm), interaction) as tf.Tensor1D;
    });
  }

  /**
   * Free energy F(v) = -log sum_h exp(-E(v, h)) per row, `[N, visible] -> [N]`, computed with a
   * stable softplus: F(v) = V(v) - sum_j softplus(c_j + (s v W)_j).
   */
  freeEnergy(v: tf.Tensor2D): tf.Tensor1D {
    this.checkV('v', v);
    return tf.tidy(() => this.freeEnergyUnchecked(v));
  }

  /** @internal */
  freeEnergyUnchecked(v: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(
      () => tf.sub(this.visibleTerm(v), tf.sum(softplus(this.hiddenInput(v)), 1)) as tf.Tensor1D,
    );
  }

  /** p(h_j = 1 | v) for every hidden unit, `[N, visible] -> [N, hidden]`. */
  probH(v: tf.Tensor2D): tf.Tensor2D {
    this.checkV('v', v);
    return tf.tidy(() => tf.sigmoid(this.hiddenInput(v)) as tf.Tensor2D);
  }

  /**
   * The conditional mean E[v | h], `[N, hidden] -> [N, visible]`: p(v_i = 1 | h) for a Bernoulli
   * RBM, the Gaussian mean b + sigma W h for a Gaussian-Bernoulli one.
   */
  probV(h: tf.Tensor2D): tf.Tensor2D {
    this.checkH('h', h);
    return tf.tidy(() => this.visibleMeanFromInput(this.visibleInput(h)));
  }

  /** Draws h ~ p(h | v) (0/1 values), `[N, visible] -> [N, hidden]`. */
  sampleH(v: tf.Tensor2D, options: { seed?: SeedOrRng } = {}): tf.Tensor2D {
    this.checkV('v', v);
    const rng = options.seed === undefined ? this.rng : toRng(options.seed);
    return tf.tidy(() => fast.bernoulli(tf.sigmoid(this.hiddenInput(v)), rng) as tf.Tensor2D);
  }

  /** Draws v ~ p(v | h), `[N, hidden] -> [N, visible]`. */
  sampleV(h: tf.Tensor2D, options: { seed?: SeedOrRng } = {}): tf.Tensor2D {
    this.checkH('h', h);
    const rng = options.seed === undefined ? this.rng : toRng(options.seed);
    return tf.tidy(() =>
      this.sampleVisibleFromMean(this.visibleMeanFromInput(this.visibleInput(h)), rng),
    );
  }

  /**
   * Hidden free energy G(h) = -log sum_v exp(-E(v, h)) (an integral over v for Gaussian visible
   * units), per row: `[N, hidden] -> [N]`. With it, log Z = log sum_h exp(-G(h)).
   */
  hiddenFreeEnergy(h: tf.Tensor2D): tf.Tensor1D {
    this.checkH('h', h);
    return tf.tidy(() => this.hiddenFreeEnergyUnchecked(h));
  }

  /** @internal */
  abstract hiddenFreeEnergyUnchecked(h: tf.Tensor2D): tf.Tensor1D;

  /** log sum_v exp(-V(v; bias)) of the visible term alone (the W = 0 model's visible part). @internal */
  abstract visibleLogPartition(bias: Float32Array): number;

  /**
   * log of the unnormalised AIS intermediate marginal
   * f_beta(v) = exp(-(1 - beta) V(v; baseBias) - beta V(v; b)) prod_j (1 + exp(beta (c + s v W)_j)). @internal
   */
  aisLogF(v: tf.Tensor2D, beta: number, baseBias: tf.Tensor1D, pre?: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const x = pre ?? this.hiddenInput(v);
      const hidden = tf.sum(softplus(tf.mul(x, beta)), 1);
      const vis = tf.add(
        tf.mul(this.visibleTerm(v, baseBias), 1 - beta),
        tf.mul(this.visibleTerm(v), beta),
      );
      return tf.sub(hidden, vis) as tf.Tensor1D;
    });
  }

  /** One Gibbs sweep that leaves f_beta invariant. @internal */
  aisTransition(
    v: tf.Tensor2D,
    beta: number,
    baseBias: tf.Tensor1D,
    rng: Rng,
    pre?: tf.Tensor2D,
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const x = pre ?? this.hiddenInput(v);
      const h = fast.bernoulli(tf.sigmoid(tf.mul(x, beta)), rng) as tf.Tensor2D;
      const input = tf.add(tf.mul(baseBias, 1 - beta), tf.mul(this.visibleInput(h), beta));
      return this.sampleVisibleFromMean(this.visibleMeanFromInput(input as tf.Tensor2D), rng);
    });
  }

  /** Exact draws from the base model (W = 0, visible bias baseBias). @internal */
  aisBaseSample(n: number, baseBias: tf.Tensor1D, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => {
      const input = tf.tile(tf.reshape(baseBias, [1, this.visible]), [n, 1]) as tf.Tensor2D;
      return this.sampleVisibleFromMean(this.visibleMeanFromInput(input), rng);
    });
  }

  /** One full Gibbs sweep v -> h -> v. Unchecked. @internal */
  protected gibbsStep(v: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => {
      const h = fast.bernoulli(tf.sigmoid(this.hiddenInput(v)), rng) as tf.Tensor2D;
      return this.sampleVisibleFromMean(this.visibleMeanFromInput(this.visibleInput(h)), rng);
    });
  }

  /**
   * Runs `k` block-Gibbs sweeps (v -> h -> v) from each row of `v` in parallel and returns the
   * final visible states (`meanField: true`: the conditional means E[v | h] of the last sweep
   * instead of a draw). Every row is an independent chain.
   */
  gibbs(
    v: tf.Tensor2D,
    k: number,
    options: { seed?: SeedOrRng; meanField?: boolean } = {},
  ): tf.Tensor2D {
    this.checkV('v', v);
    checkK('k', k);
    const rng = options.seed === undefined ? this.rng : toRng(options.seed);
    let x = tf.clone(v);
    for (let t = 0; t < k; t++) {
      const last = t === k - 1 && options.meanField === true;
      const next = tf.tidy(() => {
        if (!last) return this.gibbsStep(x, rng);
        const h = fast.bernoulli(tf.sigmoid(this.hiddenInput(x)), rng) as tf.Tensor2D;
        return this.visibleMeanFromInput(this.visibleInput(h));
      });
      x.dispose();
      x = next;
    }
    return x;
  }

  /** Initial chain states drawn from noise. @internal */
  protected abstract noise(n: number, rng: Rng): tf.Tensor2D;

  /**
   * Draws `n` visible samples by running `k` Gibbs sweeps (default 1000) from noise (uniform
   * random bits for Bernoulli RBMs, N(b, sigma^2) for Gaussian-Bernoulli ones).
   */
  sample(
    n: number,
    options: { k?: number; seed?: SeedOrRng; meanField?: boolean } = {},
  ): tf.Tensor2D {
    this.live();
    assertInteger('n', n, 1);
    const k = checkK('options.k', options.k ?? 1000);
    const rng = options.seed === undefined ? this.rng : toRng(options.seed);
    const x0 = this.noise(n, rng);
    const out = this.gibbs(x0, k, { seed: rng, meanField: options.meanField ?? false });
    x0.dispose();
    return out;
  }

  /** Drops the persistent (PCD) chains and momentum state; the next step starts them afresh. */
  resetTrainingState(): void {
    this.chain?.dispose();
    this.chain = null;
    if (this.velocity) {
      this.velocity.W.dispose();
      this.velocity.b.dispose();
      this.velocity.c.dispose();
    }
    this.velocity = null;
  }

  /**
   * One CD-k (or PCD-k) update on a batch, with the closed-form statistics
   * dW = <s v h>_data - <s v h>_model, db = <dV/db>, dc = <h>_data - <h>_model, using the
   * probabilities p(h | v) (not samples) for the hidden statistics. Returns the step's metrics.
   */
  step(batch: RBMData, options: StepOptions = {}): StepMetrics {
    this.live();
    const o = this.resolveStep(options, 'options');
    const { tensor, owned } = toMatrix('batch', batch, this.visible, this.domain);
    try {
      return this.stepUnchecked(tensor, o, o.seed === undefined ? this.rng : toRng(o.seed));
    } finally {
      if (owned) tensor.dispose();
    }
  }

  private resolveStep(
    options: StepOptions,
    name: string,
  ): Required<Omit<StepOptions, 'seed' | 'chains'>> & StepOptions {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(name, 'expected an options object');
    }
    const k = checkK(`${name}.k`, options.k ?? 1);
    const learningRate = options.learningRate ?? 0.05;
    assertPositive(`${name}.learningRate`, learningRate);
    const momentum = options.momentum ?? 0;
    assertInRange(`${name}.momentum`, momentum, 0, 1);
    if (momentum >= 1)
      throw new InvalidArgumentError(`${name}.momentum`, 'expected a number in [0, 1)');
    const weightDecay = options.weightDecay ?? 0;
    assertPositive(`${name}.weightDecay`, weightDecay, { allowZero: true });
    const persistent = options.persistent ?? false;
    if (typeof persistent !== 'boolean') {
      throw new InvalidArgumentError(
        `${name}.persistent`,
        `expected a boolean, got ${typeof persistent}`,
      );
    }
    if (options.chains !== undefined) assertInteger(`${name}.chains`, options.chains, 1);
    return { ...options, k, learningRate, momentum, weightDecay, persistent };
  }

  private stepUnchecked(
    v0: tf.Tensor2D,
    o: Required<Omit<StepOptions, 'seed' | 'chains'>> & StepOptions,
    rng: Rng,
  ): StepMetrics {
    const n = v0.shape[0];
    if (o.persistent && this.chain === null) {
      const chains = o.chains ?? n;
      this.chain = tf.tidy(() => {
        const idx = tf.tensor1d(
          Int32Array.from({ length: chains }, (_, i) => i % n),
          'int32',
        );
        return tf.variable(tf.gather(v0, idx) as tf.Tensor2D, false);
      });
    }
    if (o.momentum > 0 && this.velocity === null) {
      this.velocity = tf.tidy(() => ({
        W: tf.variable(tf.zerosLike(this.W), false),
        b: tf.variable(tf.zerosLike(this.b), false),
        c: tf.variable(tf.zerosLike(this.c), false),
      }));
    }
    const metrics = tf.tidy(() => {
      const s = this.visibleScale;
      const pre0 = this.hiddenInput(v0);
      const ph0 = tf.sigmoid(pre0) as tf.Tensor2D;
      const h0 = fast.bernoulli(ph0, rng) as tf.Tensor2D;
      const recon = this.visibleMeanFromInput(this.visibleInput(h0));
      // Negative phase: k sweeps from the data (CD) or from the persistent chains (PCD).
      let vk: tf.Tensor2D;
      if (o.persistent) {
        vk = this.chain as tf.Tensor2D;
        for (let t = 0; t < o.k; t++) vk = this.gibbsStep(vk, rng);
        this.chain!.assign(vk);
      } else {
        vk = this.sampleVisibleFromMean(recon, rng);
        for (let t = 1; t < o.k; t++) vk = this.gibbsStep(vk, rng);
      }
      const prek = this.hiddenInput(vk);
      const phk = tf.sigmoid(prek) as tf.Tensor2D;
      const m = vk.shape[0];
      const sv0 = (s === 1 ? v0 : tf.mul(v0, s)) as tf.Tensor2D;
      const svk = (s === 1 ? vk : tf.mul(vk, s)) as tf.Tensor2D;
      const gW = tf.sub(
        tf.div(matMul(sv0, ph0, true, false), n),
        tf.div(matMul(svk, phk, true, false), m),
      );
      const gb = this.visibleBiasGradient(v0, vk);
      const gc = tf.sub(tf.mean(ph0, 0), tf.mean(phk, 0));
      // Metrics with the parameters from before the update.
      const reconErr = tf.mean(tf.square(tf.sub(v0, recon)));
      const fe = (v: tf.Tensor2D, pre: tf.Tensor2D) =>
        tf.mean(tf.sub(this.visibleTerm(v), tf.sum(softplus(pre), 1)));
      const gap = tf.sub(fe(v0, pre0), fe(vk, prek));
      const gWd = o.weightDecay > 0 ? tf.sub(gW, tf.mul(this.W, o.weightDecay)) : gW;
      if (this.velocity && o.momentum > 0) {
        const { W: vW, b: vb, c: vc } = this.velocity;
        vW.assign(tf.add(tf.mul(vW, o.momentum), tf.mul(gWd, o.learningRate)));
        vb.assign(tf.add(tf.mul(vb, o.momentum), tf.mul(gb, o.learningRate)));
        vc.assign(tf.add(tf.mul(vc, o.momentum), tf.mul(gc, o.learningRate)));
        this.W.assign(tf.add(this.W, vW) as tf.Tensor2D);
        this.b.assign(tf.add(this.b, vb) as tf.Tensor1D);
        this.c.assign(tf.add(this.c, vc) as tf.Tensor1D);
      } else {
        this.W.assign(tf.add(this.W, tf.mul(gWd, o.learningRate)) as tf.Tensor2D);
        this.b.assign(tf.add(this.b, tf.mul(gb, o.learningRate)) as tf.Tensor1D);
        this.c.assign(tf.add(this.c, tf.mul(gc, o.learningRate)) as tf.Tensor1D);
      }
      return tf.stack([reconErr, gap]);
    });
    const [reconstructionError, freeEnergyGap] = metrics.dataSync();
    metrics.dispose();
    return { reconstructionError: reconstructionError!, freeEnergyGap: freeEnergyGap! };
  }

  /** <dV/db>_data - <dV/db>_model, per visible unit. @internal */
  protected abstract visibleBiasGradient(v0: tf.Tensor2D, vk: tf.Tensor2D): tf.Tensor1D;

  /**
   * Trains with CD-k (default) or PCD-k on `data` (`[n, visible]`, a tensor or `{ data, shape }`).
   * Every batch runs in `tf.tidy`; the model's tensor count stays flat across epochs. If the
   * metrics turn NaN or infinite, the parameters from the start of that epoch are restored and a
   * `DivergenceError` is thrown.
   */
  async fit(data: RBMData, options: FitOptions = {}): Promise<FitHistory> {
    this.live();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('options', 'expected an options object');
    }
    const epochs = options.epochs ?? 10;
    assertInteger('options.epochs', epochs, 1);
    const batchSize = options.batchSize ?? 32;
    assertInteger('options.batchSize', batchSize, 1);
    const lr = options.learningRate ?? 0.05;
    if (typeof lr !== 'function') assertPositive('options.learningRate', lr);
    const shuffle = options.shuffle ?? true;
    for (const cb of ['onBatchEnd', 'onEpochEnd'] as const) {
      if (options[cb] !== undefined && typeof options[cb] !== 'function') {
        throw new InvalidArgumentError(`options.${cb}`, 'expected a function');
      }
    }
    const progress = options.progress ?? false;
    const log =
      typeof progress === 'function'
        ? progress
        : progress
          ? (line: string) => console.log(line)
          : null;
    const base = this.resolveStep({ ...options, learningRate: 1, seed: undefined }, 'options');
    const rng = options.seed === undefined ? this.rng : toRng(options.seed);
    const { tensor, owned } = toMatrix('data', data, this.visible, this.domain);
    const n = tensor.shape[0];
    const history: FitHistory = { epochs: [] };
    let globalStep = 0;
    let snapshot: tf.Tensor[] | null = null;
    try {
      for (let epoch = 0; epoch < epochs; epoch++) {
        const t0 = performance.now();
        // The last good parameters, restored if this epoch diverges.
        if (snapshot) tf.dispose(snapshot);
        snapshot = [tf.clone(this.W), tf.clone(this.b), tf.clone(this.c)];
        const order = shuffle ? rng.permutation(n) : Int32Array.from({ length: n }, (_, i) => i);
        let sumRecon = 0;
        let sumGap = 0;
        let batches = 0;
        for (let start = 0; start < n; start += batchSize) {
          const rate = typeof lr === 'function' ? lr(epoch, globalStep) : lr;
          if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
            throw new InvalidArgumentError(
              'options.learningRate',
              `schedule returned ${String(rate)} at epoch ${epoch}, step ${globalStep}; expected a number > 0`,
            );
          }
          const idx = order.subarray(start, Math.min(n, start + batchSize));
          const batch = tf.tidy(() => tf.gather(tensor, tf.tensor1d(idx, 'int32')) as tf.Tensor2D);
          let m: StepMetrics;
          try {
            m = this.stepUnchecked(batch, { ...base, learningRate: rate }, rng);
          } finally {
            batch.dispose();
          }
          if (!Number.isFinite(m.reconstructionError) || !Number.isFinite(m.freeEnergyGap)) {
            const [W, b, c] = snapshot;
            this.W.assign(W as tf.Tensor2D);
            this.b.assign(b as tf.Tensor1D);
            this.c.assign(c as tf.Tensor1D);
            this.resetTrainingState();
            throw new DivergenceError(
              `RBM training diverged at epoch ${epoch}, step ${globalStep} (non-finite metrics); ` +
                `the parameters from the start of epoch ${epoch} were restored. Lower options.learningRate.`,
            );
          }
          sumRecon += m.reconstructionError * idx.length;
          sumGap += m.freeEnergyGap * idx.length;
          batches++;
          if (options.onBatchEnd) {
            await options.onBatchEnd({ ...m, epoch, batch: batches - 1, step: globalStep });
          }
          globalStep++;
        }
        const metrics: EpochMetrics = {
          epoch,
          batches,
          reconstructionError: sumRecon / n,
          freeEnergyGap: sumGap / n,
          seconds: (performance.now() - t0) / 1000,
        };
        history.epochs.push(metrics);
        log?.(
          `epoch ${epoch + 1}/${epochs}  recon ${metrics.reconstructionError.toFixed(5)}  ` +
            `F-gap ${metrics.freeEnergyGap.toFixed(4)}  ${metrics.seconds.toFixed(2)} s`,
        );
        if (options.onEpochEnd && (await options.onEpochEnd(metrics)) === false) break;
      }
    } finally {
      if (snapshot) tf.dispose(snapshot);
      if (owned) tensor.dispose();
    }
    return history;
  }

  /** Frees the weights and any training state. The model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.resetTrainingState();
    this.W.dispose();
    this.b.dispose();
    this.c.dispose();
    this.disposed = true;
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** A JSON-serialisable copy of the parameters (see also `saveRBM`). */
  toJSON(): RBMJSON {
    this.live();
    const json: RBMJSON = {
      format: 'ebmjs-rbm',
      version: 1,
      kind: this.kind,
      visible: this.visible,
      hidden: this.hidden,
      weights: Array.from(this.W.dataSync()),
      visibleBias: Array.from(this.b.dataSync()),
      hiddenBias: Array.from(this.c.dataSync()),
    };
    const sigma = (this as unknown as { sigma?: number }).sigma;
    if (sigma !== undefined) json.sigma = sigma;
    return json;
  }

  /** Overwrites the parameters with the given values (shapes must match). */
  setWeights(weights: {
    W?: ArrayLike<number>;
    b?: ArrayLike<number>;
    c?: ArrayLike<number>;
  }): void {
    this.live();
    const set = (name: string, target: tf.Variable, values: ArrayLike<number> | undefined) => {
      if (values === undefined) return;
      if (typeof values !== 'object' || values === null || values.length !== target.size) {
        throw new ShapeError(
          `weights.${name}`,
          `expected ${target.size} values (shape [${target.shape.join(', ')}])`,
        );
      }
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) {
          throw new InvalidArgumentError(`weights.${name}`, `non-finite value at index ${i}`);
        }
      }
      tf.tidy(() => target.assign(tf.tensor(Float32Array.from(values), target.shape)));
    };
    set('W', this.W, weights.W);
    set('b', this.b, weights.b);
    set('c', this.c, weights.c);
  }
}

/**
 * RBM with binary visible and hidden units:
 * E(v, h) = -b.v - c.h - v^T W h, p(h_j = 1 | v) = sigmoid(c_j + (v W)_j),
 * p(v_i = 1 | h) = sigmoid(b_i + (W h)_i).
 *
 * ```ts
 * const rbm = new BernoulliRBM({ visible: 784, hidden: 256, seed: 1 });
 * await rbm.fit({ data, shape: [n, 784] }, { epochs: 10, batchSize: 64, k: 1, learningRate: 0.05 });
 * ```
 */
export class BernoulliRBM extends RBM {
  readonly kind = 'bernoulli' as const;

  constructor(options: RBMOptions) {
    super(options, 'options');
  }

  protected get visibleScale(): number {
    return 1;
  }
  protected get visibleOutScale(): number {
    return 1;
  }
  protected get domain(): 'unit' {
    return 'unit';
  }
  visibleTerm(v: tf.Tensor2D, bias: tf.Tensor1D = this.b): tf.Tensor1D {
    return tf.tidy(() => tf.neg(tf.sum(tf.mul(v, bias), 1)) as tf.Tensor1D);
  }
  protected visibleMeanFromInput(input: tf.Tensor2D): tf.Tensor2D {
    return tf.sigmoid(input);
  }
  protected sampleVisibleFromMean(mean: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    return fast.bernoulli(mean, rng) as tf.Tensor2D;
  }
  protected visibleBiasGradient(v0: tf.Tensor2D, vk: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.sub(tf.mean(v0, 0), tf.mean(vk, 0)) as tf.Tensor1D);
  }
  protected noise(n: number, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => fast.bernoulli(tf.fill([n, this.visible], 0.5), rng) as tf.Tensor2D);
  }
  /** @internal G(h) = -c.h - sum_i softplus(b_i + (W h)_i). */
  hiddenFreeEnergyUnchecked(h: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(
      () =>
        tf.neg(
          tf.add(tf.sum(tf.mul(h, this.c), 1), tf.sum(softplus(this.visibleInput(h)), 1)),
        ) as tf.Tensor1D,
    );
  }
  /** @internal sum_i softplus(bias_i). */
  visibleLogPartition(bias: Float32Array): number {
    let s = 0;
    for (const x of bias) s += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    return s;
  }
}

/**
 * RBM with real (Gaussian) visible units of fixed standard deviation sigma and binary hidden
 * units (Hinton's parameterisation):
 * E(v, h) = sum_i (v_i - b_i)^2 / (2 sigma^2) - c.h - (v / sigma)^T W h,
 * p(h_j = 1 | v) = sigmoid(c_j + ((v / sigma) W)_j), p(v | h) = N(b + sigma W h, sigma^2 I).
 *
 * sigma is fixed (default 1), not learned: standardise each visible unit to zero mean and unit
 * variance and keep sigma = 1, the usual practice (learning sigma by CD is unstable).
 */
export class GaussianBernoulliRBM extends RBM {
  readonly kind = 'gaussian-bernoulli' as const;
  /** Standard deviation of p(v | h) (fixed). */
  readonly sigma: number;

  constructor(options: GaussianBernoulliRBMOptions) {
    super(checkSigma(options), 'options');
    this.sigma = options.sigma ?? 1;
  }

  protected get visibleScale(): number {
    return 1 / this.sigma;
  }
  protected get visibleOutScale(): number {
    return this.sigma;
  }
  protected get domain(): 'real' {
    return 'real';
  }
  visibleTerm(v: tf.Tensor2D, bias: tf.Tensor1D = this.b): tf.Tensor1D {
    const k = 1 / (2 * this.sigma * this.sigma);
    return tf.tidy(() => tf.mul(tf.sum(tf.square(tf.sub(v, bias)), 1), k) as tf.Tensor1D);
  }
  protected visibleMeanFromInput(input: tf.Tensor2D): tf.Tensor2D {
    return input;
  }
  protected sampleVisibleFromMean(mean: tf.Tensor2D, rng: Rng): tf.Tensor2D {
    return tf.tidy(() => tf.add(mean, rng.normal(mean.shape, 0, this.sigma)) as tf.Tensor2D);
  }
  protected visibleBiasGradient(v0: tf.Tensor2D, vk: tf.Tensor2D): tf.Tensor1D {
    // d(-E)/db_i = (v_i - b_i) / sigma^2; b cancels in the data-minus-model difference.
    const k = 1 / (this.sigma * this.sigma);
    return tf.tidy(() => tf.mul(tf.sub(tf.mean(v0, 0), tf.mean(vk, 0)), k) as tf.Tensor1D);
  }
  protected noise(n: number, rng: Rng): tf.Tensor2D {
    return tf.tidy(
      () => tf.add(rng.normal([n, this.visible], 0, this.sigma), this.b) as tf.Tensor2D,
    );
  }
  /**
   * @internal Integrating v out of the Gaussian: with a = W h,
   * G(h) = -c.h - b.a / sigma - |a|^2 / 2 - (visible / 2) log(2 pi sigma^2).
   */
  hiddenFreeEnergyUnchecked(h: tf.Tensor2D): tf.Tensor1D {
    const logNorm = (this.visible / 2) * Math.log(2 * Math.PI * this.sigma * this.sigma);
    return tf.tidy(() => {
      const a = matMul(h, this.W, false, true);
      const lin = tf.add(
        tf.sum(tf.mul(h, this.c), 1),
        tf.div(tf.sum(tf.mul(a, this.b), 1), this.sigma),
      );
      return tf.neg(
        tf.add(tf.add(lin, tf.mul(tf.sum(tf.square(a), 1), 0.5)), logNorm),
      ) as tf.Tensor1D;
    });
  }
  /** @internal (visible / 2) log(2 pi sigma^2), whatever the bias. */
  visibleLogPartition(_bias: Float32Array): number {
    return (this.visible / 2) * Math.log(2 * Math.PI * this.sigma * this.sigma);
  }
}
