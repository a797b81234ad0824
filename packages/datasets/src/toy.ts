/**
 * Seeded 2-D toy distributions, the usual test beds for energy-based models and samplers.
 *
 * Every generator returns `{ data: Float32Array, shape: [n, 2], labels? }` with rows `(x, y)`.
 * Scale: all defaults put (nearly) every point inside the square [-4, 4]², matching the FFJORD /
 * "toy density" conventions, so one plot range and one Langevin clamp fit every distribution.
 * `labels` (when present) give the component each point came from (mixture component, moon,
 * ring, arm, grid cell), which is handy for colouring plots and for tests.
 *
 * @module toy
 */
import { checkInt, checkNumber, checkOptions, DatasetError, invalid } from './errors.js';
import { createRng, type Rng } from './random.js';

/** A batch of 2-D points. */
export interface ToyDataset {
  /** Row-major points, `data[2 * i]` = x, `data[2 * i + 1]` = y. */
  data: Float32Array;
  /** Always `[n, 2]`. */
  shape: [number, 2];
  /** Index of the component each point was drawn from (absent for the swiss roll). */
  labels?: Int32Array;
}

/** Options shared by every toy distribution. */
export interface ToyOptions {
  /** Number of points (integer ≥ 1). */
  n: number;
  /** Seed of the generator (integer); the same seed gives the same points. */
  seed: number;
  /**
   * Main noise level, in output units (a standard deviation). Each distribution documents what it
   * means and its default.
   */
  noise?: number;
}

function start(name: string, opts: ToyOptions): { n: number; rng: Rng; data: Float32Array } {
  const o = checkOptions('options', opts);
  if (opts === undefined) invalid('options', `an options object with n and seed for ${name}`, opts);
  const n = checkInt('options.n', o.n, 1, 2 ** 28);
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed))
    invalid('options.seed', 'an integer', o.seed);
  return { n, rng: createRng(o.seed), data: new Float32Array(2 * n) };
}

function noiseOf(opts: ToyOptions, dflt: number): number {
  return opts.noise === undefined ? dflt : checkNumber('options.noise', opts.noise, 0);
}

/** Options of {@link gaussianMixture}. */
export interface GaussianMixtureOptions extends ToyOptions {
  /** Component means, `[[x, y], ...]`. Default: the four points (±2, ±2). */
  means?: ReadonlyArray<readonly [number, number]>;
  /** Isotropic standard deviation, one for all or one per component. Default `noise` or 0.5. */
  std?: number | readonly number[];
  /** Mixture weights (non-negative, normalised for you). Default: equal. */
  weights?: readonly number[];
}

/**
 * Mixture of isotropic Gaussians in 2-D. `noise` is the common standard deviation (default 0.5)
 * unless `std` is given. Default means: (±2, ±2).
 */
export function gaussianMixture(opts: GaussianMixtureOptions): ToyDataset {
  const { n, rng, data } = start('gaussianMixture', opts);
  const means = opts.means ?? [
    [-2, -2],
    [-2, 2],
    [2, -2],
    [2, 2],
  ];
  if (!Array.isArray(means) || means.length === 0)
    invalid('options.means', 'a non-empty array of [x, y]', means);
  means.forEach((m, i) => {
    if (!Array.isArray(m) || m.length !== 2 || !m.every((v) => Number.isFinite(v))) {
      invalid(`options.means[${i}]`, 'a pair [x, y] of finite numbers', m);
    }
  });
  const k = means.length;
  let stds: number[];
  if (opts.std === undefined) {
    stds = new Array(k).fill(noiseOf(opts, 0.5));
  } else if (typeof opts.std === 'number') {
    stds = new Array(k).fill(checkNumber('options.std', opts.std, 0));
  } else {
    if (!Array.isArray(opts.std) || opts.std.length !== k) {
      invalid('options.std', `a number or an array of ${k} numbers (one per mean)`, opts.std);
    }
    stds = opts.std.map((s, i) => checkNumber(`options.std[${i}]`, s, 0));
  }
  const weights = opts.weights ?? new Array(k).fill(1);
  if (!Array.isArray(weights) || weights.length !== k) {
    invalid('options.weights', `an array of ${k} non-negative numbers (one per mean)`, weights);
  }
  const w = weights.map((x, i) => checkNumber(`options.weights[${i}]`, x, 0));
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) invalid('options.weights', 'weights with a positive sum', weights);
  const cdf: number[] = [];
  let acc = 0;
  for (const x of w) {
    acc += x / total;
    cdf.push(acc);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    let c = 0;
    while (c < k - 1 && u >= cdf[c]!) c++;
    const m = means[c]!;
    labels[i] = c;
    data[2 * i] = m[0] + stds[c]! * rng.normal();
    data[2 * i + 1] = m[1] + stds[c]! * rng.normal();
  }
  return { data, shape: [n, 2], labels };
}

/** Options of {@link eightGaussians}. */
export interface EightGaussiansOptions extends ToyOptions {
  /** Radius of the circle of means. Default 2√2 ≈ 2.83. */
  radius?: number;
}

/**
 * Eight Gaussians with equal weights, means evenly spaced on a circle of radius 2√2 starting at
 * angle 0; `noise` is their standard deviation (default 0.35). Label k has mean at angle kπ/4.
 */
export function eightGaussians(opts: EightGaussiansOptions): ToyDataset {
  const r =
    opts?.radius === undefined ? 2 * Math.SQRT2 : checkNumber('options.radius', opts.radius, 0);
  const means: [number, number][] = [];
  for (let k = 0; k < 8; k++)
    means.push([r * Math.cos((k * Math.PI) / 4), r * Math.sin((k * Math.PI) / 4)]);
  return gaussianMixture({
    n: opts?.n,
    seed: opts?.seed,
    std: noiseOf(opts ?? ({} as ToyOptions), 0.35),
    means,
  });
}

/**
 * Two interleaving half circles (scikit-learn's `make_moons`, scaled by 2 and shifted by
 * (-1, -0.2)). Label 0: upper moon, centre (-1, -0.2), radius 2; label 1: lower moon, centre
 * (1, 0.8), radius 2. `noise`: isotropic Gaussian standard deviation (default 0.2). Spans about
 * [-3, 3] × [-1.5, 2].
 */
export function twoMoons(opts: ToyOptions): ToyDataset {
  const { n, rng, data } = start('twoMoons', opts);
  const s = noiseOf(opts, 0.2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const moon = rng.uniform() < 0.5 ? 0 : 1;
    const t = Math.PI * rng.uniform();
    let x: number;
    let y: number;
    if (moon === 0) {
      x = Math.cos(t);
      y = Math.sin(t);
    } else {
      x = 1 - Math.cos(t);
      y = 0.5 - Math.sin(t);
    }
    labels[i] = moon;
    data[2 * i] = 2 * x - 1 + s * rng.normal();
    data[2 * i + 1] = 2 * y - 0.2 + s * rng.normal();
  }
  return { data, shape: [n, 2], labels };
}

/**
 * The 2-D swiss roll: t uniform in [1.5π, 4.5π], point (t cos t, t sin t) / 5 plus isotropic
 * Gaussian noise of standard deviation `noise` (default 0.2). Radius (noise-free) from 0.94 to
 * 2.83. No labels.
 */
export function swissRoll(opts: ToyOptions): ToyDataset {
  const { n, rng, data } = start('swissRoll', opts);
  const s = noiseOf(opts, 0.2);
  for (let i = 0; i < n; i++) {
    const t = 1.5 * Math.PI * (1 + 2 * rng.uniform());
    data[2 * i] = (t * Math.cos(t)) / 5 + s * rng.normal();
    data[2 * i + 1] = (t * Math.sin(t)) / 5 + s * rng.normal();
  }
  return { data, shape: [n, 2] };
}

/** Options of {@link rings}. */
export interface RingsOptions extends ToyOptions {
  /** Number of concentric rings (default 4). */
  count?: number;
  /** Radius of the outermost ring (default 3.5); ring k has radius `radius * (k + 1) / count`. */
  radius?: number;
}

/**
 * Concentric circles. Each point picks a ring uniformly (label = ring index, 0 innermost), an
 * angle uniformly, then gets isotropic Gaussian noise of standard deviation `noise` (default
 * 0.08). Default radii: 0.875, 1.75, 2.625, 3.5.
 */
export function rings(opts: RingsOptions): ToyDataset {
  const count = opts?.count === undefined ? 4 : checkInt('options.count', opts.count, 1, 1000);
  const radius = opts?.radius === undefined ? 3.5 : checkNumber('options.radius', opts.radius, 0);
  const { n, rng, data } = start('rings', opts);
  const s = noiseOf(opts, 0.08);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(count);
    const r = (radius * (k + 1)) / count;
    const a = 2 * Math.PI * rng.uniform();
    labels[i] = k;
    data[2 * i] = r * Math.cos(a) + s * rng.normal();
    data[2 * i + 1] = r * Math.sin(a) + s * rng.normal();
  }
  return { data, shape: [n, 2], labels };
}

/** Options of {@link checkerboard}. */
export interface CheckerboardOptions extends ToyOptions {
  /** Squares per side (default 4, must be even); the board covers [-4, 4]². */
  cells?: number;
}

/**
 * Uniform density on the "dark" squares of a checkerboard covering [-4, 4]² (default 4×4
 * squares of side 2; a square (i, j), counted from the bottom-left, is dark when i + j is even).
 * Label = index of the square, `row * cells + col`. `noise` adds isotropic Gaussian jitter
 * (default 0: sharp edges).
 */
export function checkerboard(opts: CheckerboardOptions): ToyDataset {
  const cells = opts?.cells === undefined ? 4 : checkInt('options.cells', opts.cells, 2, 1000);
  if (cells % 2 !== 0) invalid('options.cells', 'an even integer', cells);
  const { n, rng, data } = start('checkerboard', opts);
  const s = noiseOf(opts, 0);
  const side = 8 / cells;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const col = rng.int(cells);
    // rows with the same parity as col: col % 2, col % 2 + 2, ...
    const row = (col % 2) + 2 * rng.int(cells / 2);
    labels[i] = row * cells + col;
    data[2 * i] = -4 + side * (col + rng.uniform()) + (s > 0 ? s * rng.normal() : 0);
    data[2 * i + 1] = -4 + side * (row + rng.uniform()) + (s > 0 ? s * rng.normal() : 0);
  }
  return { data, shape: [n, 2], labels };
}

/** Options of {@link pinwheel}. */
export interface PinwheelOptions extends ToyOptions {
  /** Number of arms (default 5). */
  arms?: number;
  /** Radial standard deviation before the swirl (default 0.3). */
  radialStd?: number;
  /** Swirl rate (default 0.25). */
  rate?: number;
}

/**
 * The pinwheel of Johnson et al. (2016) as used by FFJORD: per arm k, a Gaussian blob
 * f = (1 + radialStd·z₁, noise·z₂) rotated by 2πk/arms + rate·exp(f₁), then scaled by 2.
 * `noise` is the tangential standard deviation (default 0.1). Label = arm. Since the rotation
 * keeps norms, E|x|² = 4 (1 + radialStd² + noise²).
 */
export function pinwheel(opts: PinwheelOptions): ToyDataset {
  const arms = opts?.arms === undefined ? 5 : checkInt('options.arms', opts.arms, 1, 1000);
  const radialStd =
    opts?.radialStd === undefined ? 0.3 : checkNumber('options.radialStd', opts.radialStd, 0);
  const rate = opts?.rate === undefined ? 0.25 : checkNumber('options.rate', opts.rate);
  const { n, rng, data } = start('pinwheel', opts);
  const tangentialStd = noiseOf(opts, 0.1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(arms);
    const f0 = 1 + radialStd * rng.normal();
    const f1 = tangentialStd * rng.normal();
    const a = (2 * Math.PI * k) / arms + rate * Math.exp(f0);
    const c = Math.cos(a);
    const sn = Math.sin(a);
    labels[i] = k;
    data[2 * i] = 2 * (c * f0 - sn * f1);
    data[2 * i + 1] = 2 * (sn * f0 + c * f1);
  }
  return { data, shape: [n, 2], labels };
}

/** Options of {@link grid}. */
export interface GridOptions extends ToyOptions {
  /** Gaussians per side (default 5). */
  size?: number;
  /** Means lie on an evenly spaced grid over [-extent, extent]² (default 3). */
  extent?: number;
}

/**
 * A `size × size` grid of equally weighted isotropic Gaussians with means evenly spaced over
 * [-3, 3]² (default 5×5, spacing 1.5) and standard deviation `noise` (default 0.1). Label =
 * `row * size + col`, row counted along y from -extent.
 */
export function grid(opts: GridOptions): ToyDataset {
  const size = opts?.size === undefined ? 5 : checkInt('options.size', opts.size, 1, 1000);
  const extent = opts?.extent === undefined ? 3 : checkNumber('options.extent', opts.extent, 0);
  const { n, rng, data } = start('grid', opts);
  const s = noiseOf(opts, 0.1);
  const step = size === 1 ? 0 : (2 * extent) / (size - 1);
  const origin = size === 1 ? 0 : -extent;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const col = rng.int(size);
    const row = rng.int(size);
    labels[i] = row * size + col;
    data[2 * i] = origin + step * col + s * rng.normal();
    data[2 * i + 1] = origin + step * row + s * rng.normal();
  }
  return { data, shape: [n, 2], labels };
}

const GENERATORS = {
  gaussianMixture,
  eightGaussians,
  twoMoons,
  swissRoll,
  rings,
  checkerboard,
  pinwheel,
  grid,
} as const;

/** Names accepted by {@link toy}. */
export type ToyName = keyof typeof GENERATORS;

/** All toy distribution names, in a stable order. */
export const TOY_NAMES: readonly ToyName[] = Object.keys(GENERATORS) as ToyName[];

/** Common alternative spellings (FFJORD's names and kebab-case). */
const ALIASES: Record<string, ToyName> = {
  '8gaussians': 'eightGaussians',
  'eight-gaussians': 'eightGaussians',
  moons: 'twoMoons',
  'two-moons': 'twoMoons',
  swissroll: 'swissRoll',
  'swiss-roll': 'swissRoll',
  circles: 'rings',
  'gaussian-mixture': 'gaussianMixture',
};

/**
 * Samples `n` points of the named 2-D toy distribution.
 *
 * @param name - one of {@link TOY_NAMES} (FFJORD spellings like `'8gaussians'` and `'moons'`
 *   are accepted too).
 * @param opts - `n`, `seed` and optionally `noise` (see each generator for its meaning and
 *   default).
 * @example
 * ```ts
 * const { data, shape } = toy('twoMoons', { n: 1000, seed: 0 }); // shape [1000, 2]
 * ```
 */
export function toy(name: ToyName | string, opts: ToyOptions): ToyDataset {
  const key =
    typeof name !== 'string'
      ? undefined
      : Object.hasOwn(GENERATORS, name)
        ? name
        : Object.hasOwn(ALIASES, name)
          ? ALIASES[name]
          : undefined;
  if (key === undefined) {
    throw new DatasetError(
      'E_INVALID_ARGUMENT',
      `name: expected one of ${TOY_NAMES.join(', ')}, got ${JSON.stringify(name)}`,
      { argument: 'name' },
    );
  }
  const o = checkOptions('options', opts);
  if (opts === undefined) invalid('options', 'an options object with n and seed', opts);
  return GENERATORS[key as ToyName]({ n: o.n, seed: o.seed, noise: o.noise });
}
