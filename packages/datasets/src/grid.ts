/**
 * Image grids and Langevin snapshot strips as RGBA pixels, plus drawing them on a canvas.
 *
 * @module grid
 */
import { checkInt, checkNumber, checkOptions, DatasetError, invalid } from './errors.js';

/** RGBA pixels, 4 bytes per pixel, row-major; the layout of `ImageData`. */
export interface RGBAImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** A batch of images, NHWC with 1 (grey), 3 (RGB) or 4 (RGBA) channels, or NHW (grey). */
export interface ImageBatch {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** Options shared by {@link imageGrid} and {@link imageStrip}. */
export interface GridStyle {
  /** Pixels between images and around the border (default 2, as torchvision's `make_grid`). */
  pad?: number;
  /** Values mapped to black and white (default `[-1, 1]`); values outside are clipped. */
  range?: readonly [number, number];
  /** Grey level 0-255 of the padding (default 0: black). */
  padValue?: number;
  /** Nearest-neighbour magnification of every image pixel (default 1). */
  scale?: number;
}

/** Options of {@link imageGrid}. */
export interface GridOptions extends GridStyle {
  /** Images per row (default `ceil(sqrt(n))`). */
  cols?: number;
}

interface Style {
  pad: number;
  lo: number;
  hi: number;
  padValue: number;
  scale: number;
}

function style(o: GridStyle): Style {
  const pad = o.pad === undefined ? 2 : checkInt('options.pad', o.pad, 0, 1000);
  const padValue = o.padValue === undefined ? 0 : checkInt('options.padValue', o.padValue, 0, 255);
  const scale = o.scale === undefined ? 1 : checkInt('options.scale', o.scale, 1, 64);
  const range = o.range ?? [-1, 1];
  if (!Array.isArray(range) || range.length !== 2)
    invalid('options.range', 'a pair [low, high]', range);
  const lo = checkNumber('options.range[0]', range[0]);
  const hi = checkNumber('options.range[1]', range[1]);
  if (!(hi > lo)) invalid('options.range', 'low < high', range);
  return { pad, lo, hi, padValue, scale };
}

interface Geometry {
  n: number;
  h: number;
  w: number;
  c: number;
}

function geometry(argument: string, images: ImageBatch, dims: number): Geometry {
  if (images === null || typeof images !== 'object')
    invalid(argument, 'an object { data, shape }', images);
  const { data, shape } = images;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    invalid(`${argument}.shape`, 'an array of non-negative integers', shape);
  }
  if (shape.length !== dims && shape.length !== dims + 1) {
    throw new DatasetError(
      'E_SHAPE',
      `${argument}.shape: expected [${dims === 3 ? 'n' : 'steps, chains'}, h, w, c] or without c, got [${shape.join(', ')}]`,
      { argument: `${argument}.shape` },
    );
  }
  const c = shape.length === dims + 1 ? shape[dims]! : 1;
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new DatasetError('E_SHAPE', `${argument}.shape: channels must be 1, 3 or 4, got ${c}`, {
      argument: `${argument}.shape`,
    });
  }
  const total = shape.reduce((a, b) => a * b, 1);
  if (data == null || typeof data.length !== 'number' || data.length !== total) {
    throw new DatasetError(
      'E_SHAPE',
      `${argument}.data: shape [${shape.join(', ')}] needs ${total} values, got ${data?.length}`,
      { argument: `${argument}.data` },
    );
  }
  const h = shape[dims - 2]!;
  const w = shape[dims - 1]!;
  const n = shape.slice(0, dims - 2).reduce((a, b) => a * b, 1);
  return { n, h, w, c };
}

/** Where the image of one grid cell lives: an array and the flat offset of its first value. */
type Cell = readonly [data: ArrayLike<number>, base: number] | undefined;

/** Paints cell images into a grid; `source(r, col)` locates the image of a cell (or none). */
function paint(
  g: Geometry,
  rows: number,
  cols: number,
  s: Style,
  source: (r: number, col: number) => Cell,
): RGBAImage {
  const { h, w, c } = g;
  const { pad, lo, hi, padValue, scale } = s;
  const ch = h * scale;
  const cw = w * scale;
  const width = cols * cw + (cols + 1) * pad;
  const height = rows * ch + (rows + 1) * pad;
  if (width * height > 2 ** 28) {
    invalid('options', 'a grid of at most 2^28 pixels', `${width}x${height}`);
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = padValue;
    out[i + 1] = padValue;
    out[i + 2] = padValue;
    out[i + 3] = 255;
  }
  const k = 255 / (hi - lo);
  const px = (v: number): number => Math.round((v - lo) * k); // Uint8ClampedArray clips
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) {
      const found = source(r, col);
      if (found === undefined) continue;
      const [data, base] = found;
      const x0 = pad + col * (cw + pad);
      const y0 = pad + r * (ch + pad);
      for (let y = 0; y < ch; y++) {
        const sy = Math.floor(y / scale);
        let o = ((y0 + y) * width + x0) * 4;
        for (let x = 0; x < cw; x++, o += 4) {
          const i = base + (sy * w + Math.floor(x / scale)) * c;
          if (c === 1) {
            const v = data[i]!;
            if (Number.isNaN(v)) {
              // non-finite pixels (a diverged sampler) show up red
              out[o] = 255;
              out[o + 1] = 0;
              out[o + 2] = 0;
            } else {
              const g8 = px(v);
              out[o] = g8;
              out[o + 1] = g8;
              out[o + 2] = g8;
            }
          } else {
            const a = data[i]!;
            const b = data[i + 1]!;
            const d = data[i + 2]!;
            if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(d)) {
              out[o] = 255;
              out[o + 1] = 0;
              out[o + 2] = 0;
            } else {
              out[o] = px(a);
              out[o + 1] = px(b);
              out[o + 2] = px(d);
              if (c === 4) out[o + 3] = px(data[i + 3]!);
            }
          }
        }
      }
    }
  }
  return { data: out, width, height };
}

/**
 * Lays out a batch of images as a grid (row-major: image i goes to row ⌊i / cols⌋, column
 * i mod cols) and returns RGBA pixels. Values are mapped linearly from `range` (default [-1, 1],
 * the book's pixel range) to 0-255 and clipped; NaN pixels are drawn red.
 *
 * Flattened images (e.g. an RBM's `[n, 784]`) only need a different `shape`:
 * `imageGrid({ data, shape: [n, 28, 28] })` — no copy.
 *
 * @example
 * ```ts
 * const grid = imageGrid(samples, { cols: 8 });   // samples: { data, shape: [64, 32, 32, 1] }
 * const png = await encodePng(grid);               // Uint8Array
 * ```
 */
export function imageGrid(images: ImageBatch, opts?: GridOptions): RGBAImage {
  const g = geometry('images', images, 3);
  const o = checkOptions('options', opts);
  const s = style(o);
  if (g.n < 1) invalid('images.shape[0]', 'at least one image', g.n);
  const cols =
    o.cols === undefined ? Math.ceil(Math.sqrt(g.n)) : checkInt('options.cols', o.cols, 1, 100000);
  const rows = Math.ceil(g.n / cols);
  const cell = g.h * g.w * g.c;
  return paint(g, rows, cols, s, (r, col) => {
    const i = r * cols + col;
    return i < g.n ? [images.data, i * cell] : undefined;
  });
}

/**
 * Lays out Langevin (or any Markov chain) snapshots as a strip: one row per chain, one column
 * per recorded step, so each row shows a chain evolving from left to right.
 *
 * @param frames - either a list of snapshots, each `{ data, shape: [chains, h, w, c?] }` (one
 *   per recorded step, all the same shape), or one array of shape `[steps, chains, h, w, c?]`.
 */
export function imageStrip(
  frames: readonly ImageBatch[] | ImageBatch,
  opts?: GridStyle,
): RGBAImage {
  const o = checkOptions('options', opts);
  const s = style(o);
  if (Array.isArray(frames)) {
    if (frames.length === 0) invalid('frames', 'at least one snapshot', frames);
    const g = geometry('frames[0]', frames[0]!, 3);
    frames.forEach((f, i) => {
      const gi = geometry(`frames[${i}]`, f, 3);
      if (gi.n !== g.n || gi.h !== g.h || gi.w !== g.w || gi.c !== g.c) {
        throw new DatasetError('E_SHAPE', `frames[${i}].shape: expected the shape of frames[0]`, {
          argument: `frames[${i}].shape`,
        });
      }
    });
    if (g.n < 1) invalid('frames[0].shape[0]', 'at least one chain', g.n);
    const cell = g.h * g.w * g.c;
    return paint(g, g.n, frames.length, s, (r, col) => [frames[col]!.data, r * cell]);
  }
  const single = frames as ImageBatch;
  const g = geometry('frames', single, 4);
  const steps = single.shape[0]!;
  const chains = single.shape[1]!;
  if (steps < 1 || chains < 1)
    invalid('frames.shape', 'at least one step and one chain', single.shape);
  const cell = g.h * g.w * g.c;
  const data = single.data;
  return paint(g, chains, steps, s, (r, col) => [data, (col * chains + r) * cell]);
}

/** The part of a 2-D canvas context {@link drawToCanvas} needs (DOM, OffscreenCanvas, node-canvas). */
export interface CanvasLike {
  createImageData(width: number, height: number): { data: Uint8ClampedArray };
  // biome-ignore lint/suspicious/noExplicitAny: ImageData types differ between canvas implementations
  putImageData(image: any, dx: number, dy: number): void;
}

/** Draws RGBA pixels (e.g. an {@link imageGrid}) onto a canvas 2-D context at (x, y). */
export function drawToCanvas(ctx: CanvasLike, image: RGBAImage, x = 0, y = 0): void {
  if (!ctx || typeof ctx.createImageData !== 'function' || typeof ctx.putImageData !== 'function') {
    invalid('ctx', 'a canvas 2-D context (createImageData, putImageData)', ctx);
  }
  checkRGBA('image', image);
  const img = ctx.createImageData(image.width, image.height);
  img.data.set(image.data);
  ctx.putImageData(img, x, y);
}

/** Checks an {@link RGBAImage}. @internal */
export function checkRGBA(argument: string, image: RGBAImage): void {
  if (image === null || typeof image !== 'object')
    invalid(argument, 'an RGBA image { data, width, height }', image);
  checkInt(`${argument}.width`, image.width, 1);
  checkInt(`${argument}.height`, image.height, 1);
  if (!(image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray)) {
    invalid(`${argument}.data`, 'a Uint8ClampedArray or Uint8Array', image.data);
  }
  if (image.data.length !== image.width * image.height * 4) {
    throw new DatasetError(
      'E_SHAPE',
      `${argument}.data: ${image.width}x${image.height} RGBA needs ${image.width * image.height * 4} bytes, got ${image.data.length}`,
      { argument: `${argument}.data` },
    );
  }
}
