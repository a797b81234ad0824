/**
 * Receptive fields ("filters") of the hidden units as image arrays.
 *
 * @module filters
 */
import { assertInteger, InvalidArgumentError, ShapeError } from '@ebmjs/tensor-backend';
import { RBM } from './rbm.js';

/** Options of {@link filtersToImage}. */
export interface FiltersToImageOptions {
  /** Rows of the grid the filters are meant for; `rows * cols` filters are returned. */
  rows?: number;
  /** Columns of that grid. Default: both chosen to show every hidden unit in a near-square grid. */
  cols?: number;
  /** `[height, width]` of one image; `height * width` must equal `rbm.visible`. Default [28, 28]. */
  imageShape?: readonly [number, number];
  /** First hidden unit to show. Default 0. */
  offset?: number;
  /**
   * `'filter'` (default): each filter min-max scaled to [0, 1] on its own; `'global'`: one
   * scale for all, so magnitudes compare; `'none'`: raw weights.
   */
  normalize?: 'filter' | 'global' | 'none';
}

/** Grey images in the layout `@ebmjs/datasets` uses (NHWC with one channel). */
export interface FilterImages {
  /** Row-major pixels, `n * h * w`, in [0, 1] unless `normalize: 'none'`. */
  data: Float32Array;
  /** `[n, h, w, 1]`. */
  shape: [number, number, number, 1];
  /** Grid the images were chosen for. */
  rows: number;
  cols: number;
}

/**
 * The weights into hidden units `offset .. offset + rows * cols - 1` (columns of W), each
 * reshaped to `imageShape` and scaled to [0, 1]. Pass the result to `imageGrid` of
 * `@ebmjs/datasets` (with `range: [0, 1]` and `cols`) to get an RGBA picture or a PNG.
 */
export function filtersToImage(rbm: RBM, options: FiltersToImageOptions = {}): FilterImages {
  if (!(rbm instanceof RBM) || rbm.isDisposed) {
    throw new InvalidArgumentError('rbm', 'expected a live BernoulliRBM or GaussianBernoulliRBM');
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'expected an options object');
  }
  const imageShape = options.imageShape ?? [28, 28];
  if (!Array.isArray(imageShape) || imageShape.length !== 2) {
    throw new InvalidArgumentError('options.imageShape', 'expected [height, width]');
  }
  const [ih, iw] = imageShape;
  assertInteger('options.imageShape[0]', ih, 1);
  assertInteger('options.imageShape[1]', iw, 1);
  if (ih * iw !== rbm.visible) {
    throw new ShapeError(
      'options.imageShape',
      `expected height * width = ${rbm.visible} (visible units), got ${ih} x ${iw} = ${ih * iw}`,
    );
  }
  const offset = options.offset ?? 0;
  assertInteger('options.offset', offset, 0, rbm.hidden - 1);
  const available = rbm.hidden - offset;
  let { rows, cols } = options;
  if (rows !== undefined) assertInteger('options.rows', rows, 1);
  if (cols === undefined)
    cols = Math.ceil(Math.sqrt(rows === undefined ? available : available / rows));
  assertInteger('options.cols', cols, 1);
  if (rows === undefined) rows = Math.ceil(available / cols);
  assertInteger('options.rows', rows, 1);
  const n = Math.min(rows * cols, available);
  const normalize = options.normalize ?? 'filter';
  if (!['filter', 'global', 'none'].includes(normalize)) {
    throw new InvalidArgumentError(
      'options.normalize',
      `expected "filter", "global" or "none", got ${String(normalize)}`,
    );
  }
  const W = rbm.W.dataSync(); // [visible, hidden]
  const h = rbm.hidden;
  const px = ih * iw;
  const data = new Float32Array(n * px);
  for (let f = 0; f < n; f++) {
    const j = offset + f;
    for (let i = 0; i < px; i++) data[f * px + i] = W[i * h + j]!;
  }
  const scale = (from: number, to: number) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = from; i < to; i++) {
      lo = Math.min(lo, data[i]!);
      hi = Math.max(hi, data[i]!);
    }
    const span = hi - lo;
    for (let i = from; i < to; i++) data[i] = span > 0 ? (data[i]! - lo) / span : 0.5;
  };
  if (normalize === 'filter') for (let f = 0; f < n; f++) scale(f * px, (f + 1) * px);
  else if (normalize === 'global') scale(0, n * px);
  return { data, shape: [n, ih, iw, 1], rows, cols };
}
