/**
 * Turning raw image stores (bytes or floats in [0, 1]) into training-ready arrays: class filter,
 * count, padding, value range, binarisation, flattening — in one pass, one output allocation.
 *
 * @module images
 */
import { checkInt, checkOptions, DatasetError, invalid } from './errors.js';
import { createRng } from './random.js';

/** Images with labels, ready for `tf.tensor(data, shape)`. */
export interface ImageDataset {
  /** Row-major pixels, NHWC (`[n, h, w, 1]`) or flattened (`[n, h * w]`). */
  data: Float32Array;
  /** `[n, h, w, 1]`, or `[n, h * w]` with `flatten: true`. */
  shape: number[];
  /** Class of each image (0-9), when the source has labels. */
  labels?: Uint8Array;
}

/** An {@link ImageDataset} whose labels are always present. */
export interface LabelledImageDataset extends ImageDataset {
  labels: Uint8Array;
}

/** Value range of the prepared pixels. */
export type PixelRange = '-1..1' | '0..1';

/** How to prepare images (MNIST, Fashion-MNIST, any IDX image file). */
export interface ImageOptions {
  /** Keep only the first `n` images (after the class filter). Default: all. */
  n?: number;
  /** Keep only images of these classes (e.g. `[0, 1]`). Needs labels. Default: all classes. */
  classes?: readonly number[];
  /** Alias of `classes` for digit data sets. */
  digits?: readonly number[];
  /**
   * Border added on every side, filled with the lowest value of `range`: `true` = 2 pixels
   * (28×28 → 32×32, as in the book), `false` = none, or a number of pixels. Default `true`.
   */
  pad?: boolean | number;
  /**
   * `'-1..1'` (default; intensity 0 → -1, 1 → 1, as the book's `Normalize((0.5,), (0.5,))`)
   * or `'0..1'`. With `binarize` the default is `'0..1'`.
   */
  range?: PixelRange;
  /**
   * Binarisation, applied to the [0, 1] intensity before mapping to `range`:
   *
   * - a threshold in (0, 1]: intensities ≥ threshold become 1 and the others 0, e.g.
   *   `{ binarize: 0.5, pad: false, flatten: true }`;
   * - `'sample'`: each pixel independently becomes 1 with probability equal to its intensity
   *   (the stochastically binarised MNIST of Salakhutdinov & Murray, 2008, used to evaluate
   *   RBMs), drawn from a generator seeded by `seed` (required). The same seed and options
   *   give the same pixels on every platform, and the first images do not depend on `n`.
   *   Padding stays 0.
   */
  binarize?: number | 'sample';
  /**
   * Integer seed of `binarize: 'sample'` (required with it, not allowed without it, so that a
   * seed is never silently ignored).
   */
  seed?: number;
  /** Return `[n, h * w]` instead of `[n, h, w, 1]`. Default `false`. */
  flatten?: boolean;
}

/** Options after validation. @internal */
export interface ResolvedImageOptions {
  n: number | undefined;
  classes: Set<number> | undefined;
  /** 'options.classes' or 'options.digits', for messages. */
  classesArg: string;
  pad: number;
  lo: number;
  hi: number;
  /** A threshold, `'sample'`, or undefined (no binarisation). */
  binarize: number | 'sample' | undefined;
  /** Seed of `binarize: 'sample'`. */
  seed: number | undefined;
  flatten: boolean;
}

/** Validates {@link ImageOptions} (before any data is read). @internal */
export function resolveImageOptions(opts: ImageOptions | undefined): ResolvedImageOptions {
  const o = checkOptions('options', opts);
  const n = o.n === undefined ? undefined : checkInt('options.n', o.n, 1);
  if (o.classes !== undefined && o.digits !== undefined) {
    invalid('options.classes', 'either classes or digits, not both', 'both');
  }
  const list = o.classes ?? o.digits;
  const name = o.classes !== undefined ? 'options.classes' : 'options.digits';
  let classes: Set<number> | undefined;
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0)
      invalid(name, 'a non-empty array of class labels 0-255', list);
    list.forEach((c, i) => {
      checkInt(`${name}[${i}]`, c, 0, 255);
    });
    classes = new Set(list);
  }
  let pad: number;
  if (o.pad === undefined || o.pad === true) pad = 2;
  else if (o.pad === false) pad = 0;
  else pad = checkInt('options.pad', o.pad, 0, 1024);
  let binarize: number | 'sample' | undefined;
  if (o.binarize === 'sample') binarize = 'sample';
  else if (o.binarize !== undefined) {
    if (typeof o.binarize !== 'number' || !(o.binarize > 0 && o.binarize <= 1))
      invalid('options.binarize', "a threshold in (0, 1] or 'sample'", o.binarize);
    binarize = o.binarize;
  }
  let seed: number | undefined;
  if (binarize === 'sample') {
    if (typeof o.seed !== 'number' || !Number.isInteger(o.seed))
      invalid('options.seed', "an integer (required with binarize: 'sample')", o.seed);
    seed = o.seed;
  } else if (o.seed !== undefined) {
    invalid('options.seed', "no seed unless binarize is 'sample'", o.seed);
  }
  const range = o.range ?? (binarize === undefined ? '-1..1' : '0..1');
  if (range !== '-1..1' && range !== '0..1') invalid('options.range', "'-1..1' or '0..1'", range);
  if (o.flatten !== undefined && typeof o.flatten !== 'boolean')
    invalid('options.flatten', 'a boolean', o.flatten);
  return {
    n,
    classes,
    classesArg: name,
    pad,
    lo: range === '0..1' ? 0 : -1,
    hi: 1,
    binarize,
    seed,
    flatten: o.flatten ?? false,
  };
}

/** A raw image store: `count` images of `height × width`, one channel. @internal */
export interface ImageSource {
  /** Used in error messages (file name or 'MNIST'). */
  name: string;
  count: number;
  height: number;
  width: number;
  /** Intensities: bytes (divisor 255) or floats already in [0, 1] (divisor 1). */
  pixels: ArrayLike<number>;
  divisor: number;
  labels?: ArrayLike<number> | undefined;
}

/** Applies resolved options to a source; allocates only the output. @internal */
export function prepareImages(src: ImageSource, o: ResolvedImageOptions): ImageDataset {
  const { count, height: h, width: w, pixels, divisor, labels } = src;
  // select images
  let selected: Int32Array;
  if (o.classes) {
    if (!labels) {
      throw new DatasetError(
        'E_INVALID_ARGUMENT',
        `options.classes: ${src.name} has no labels to filter by (pass a labels file)`,
        { argument: 'options.classes' },
      );
    }
    const keep: number[] = [];
    for (let i = 0; i < count && (o.n === undefined || keep.length < o.n); i++) {
      if (o.classes.has(labels[i]!)) keep.push(i);
    }
    selected = Int32Array.from(keep);
  } else {
    selected = new Int32Array(Math.min(count, o.n ?? count));
    for (let i = 0; i < selected.length; i++) selected[i] = i;
  }
  if (o.classes && selected.length === 0) {
    throw new DatasetError(
      'E_INVALID_ARGUMENT',
      `${o.classesArg}: ${src.name} has no images of classes [${[...o.classes].join(', ')}]`,
      { argument: o.classesArg },
    );
  }
  if (o.n !== undefined && selected.length < o.n) {
    const what = o.classes ? ` of classes [${[...o.classes].join(', ')}]` : '';
    throw new DatasetError(
      'E_INVALID_ARGUMENT',
      `options.n: asked for ${o.n} images but ${src.name} has only ${selected.length}${what}`,
      { argument: 'options.n' },
    );
  }
  const m = selected.length;
  const H = h + 2 * o.pad;
  const W = w + 2 * o.pad;
  const out = new Float32Array(m * H * W);
  const { lo, hi, pad, binarize } = o;
  const span = hi - lo;
  // one uniform per image pixel, in output order (so the first images do not depend on n)
  const uniform = binarize === 'sample' ? createRng(o.seed!).uniform : undefined;
  const threshold = typeof binarize === 'number' ? binarize : undefined;
  if (pad > 0 && lo !== 0) out.fill(lo);
  const outLabels = labels ? new Uint8Array(m) : undefined;
  for (let k = 0; k < m; k++) {
    const i = selected[k]!;
    if (outLabels) outLabels[k] = labels![i]!;
    const srcBase = i * h * w;
    const dstBase = k * H * W;
    for (let y = 0; y < h; y++) {
      const s = srcBase + y * w;
      const d = dstBase + (y + pad) * W + pad;
      for (let x = 0; x < w; x++) {
        let v = pixels[s + x]! / divisor;
        if (!(v >= 0 && v <= 1)) {
          throw new DatasetError(
            'E_CORRUPT_DATA',
            `${src.name}: image ${i} pixel (${y}, ${x}) has intensity ${v}, expected a value in [0, 1]`,
            { path: src.name },
          );
        }
        // uniform() is in [0, 1): intensity 0 never becomes 1, intensity 1 always does
        if (uniform) v = uniform() < v ? 1 : 0;
        else if (threshold !== undefined) v = v >= threshold ? 1 : 0;
        out[d + x] = lo + span * v;
      }
    }
  }
  const shape = o.flatten ? [m, H * W] : [m, H, W, 1];
  return outLabels ? { data: out, shape, labels: outLabels } : { data: out, shape };
}
