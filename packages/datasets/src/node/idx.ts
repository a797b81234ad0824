/**
 * Reading IDX files (the MNIST / Fashion-MNIST format), raw or gzipped. Node only.
 *
 * @module node/idx
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { checkOptions, DatasetError, invalid } from '../errors.js';
import {
  type ImageDataset,
  type ImageOptions,
  type LabelledImageDataset,
  prepareImages,
  resolveImageOptions,
} from '../images.js';

const gunzipAsync = promisify(gunzip);

/** Element types of the IDX format. */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The contents of an IDX file. */
export interface IdxArray {
  /** Values in native byte order; for `uint8` a view of the file buffer (no copy). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
  /** Dimensions from the header, e.g. `[60000, 28, 28]`. */
  shape: number[];
  dtype: IdxDtype;
}

const DTYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  8: { dtype: 'uint8', size: 1 },
  9: { dtype: 'int8', size: 1 },
  11: { dtype: 'int16', size: 2 },
  12: { dtype: 'int32', size: 4 },
  13: { dtype: 'float32', size: 4 },
  14: { dtype: 'float64', size: 8 },
};

function corrupt(path: string, message: string, cause?: unknown): DatasetError {
  return new DatasetError('E_CORRUPT_DATA', `${path}: ${message}`, { path, cause });
}

/**
 * Parses IDX bytes that are already in memory (decompressed), with the checks of
 * {@link readIdx}; `name` identifies the data in error messages. `uint8` data is a view of
 * `bytes`, not a copy.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) throw corrupt(name, `not an IDX file: only ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(bytes[2]! in DTYPES)) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw corrupt(
      name,
      `not an IDX file: magic number 0x${magic}, expected 0x0000TTDD with type TT in 08, 09, 0b, 0c, 0d, 0e`,
    );
  }
  const { dtype, size } = DTYPES[bytes[2]!]!;
  const ndim = bytes[3]!;
  if (ndim < 1) throw corrupt(name, 'IDX header declares 0 dimensions');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw corrupt(
      name,
      `truncated header: ${ndim} dimensions need ${headerBytes} bytes, file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw corrupt(
      name,
      `${what}: header says ${dtype} [${shape.join(', ')}] = ${expected} bytes, file has ${bytes.length}`,
    );
  }
  const off = bytes.byteOffset + headerBytes;
  let data: IdxArray['data'];
  if (dtype === 'uint8') data = new Uint8Array(bytes.buffer, off, count);
  else if (dtype === 'int8') data = new Int8Array(bytes.buffer, off, count);
  else {
    // big-endian on disk: convert into a fresh, aligned array
    const read = {
      int16: (i: number) => view.getInt16(i),
      int32: (i: number) => view.getInt32(i),
      float32: (i: number) => view.getFloat32(i),
      float64: (i: number) => view.getFloat64(i),
    }[dtype];
    const Ctor = {
      int16: Int16Array,
      int32: Int32Array,
      float32: Float32Array,
      float64: Float64Array,
    }[dtype];
    const arr = new Ctor(count);
    for (let i = 0; i < count; i++) arr[i] = read(headerBytes + i * size);
    data = arr;
  }
  return { data, shape, dtype };
}

async function readBytes(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) invalid('path', 'a file path', path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new DatasetError('E_IO', `${path}: cannot read (${code ?? String(e)})`, {
      path,
      cause: e,
    });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw corrupt(path, `gzip data is corrupt or truncated (${(e as Error).message})`, e);
    }
  }
  return bytes;
}

/**
 * Reads an IDX file, raw or gzip-compressed (detected from the content, not the name). Checks
 * the magic number, the data type and that the size matches the header; every failure is a
 * {@link DatasetError} naming the file (`E_IO` if it cannot be read, `E_CORRUPT_DATA` if it is
 * not a valid IDX file).
 */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readBytes(path), path);
}

/**
 * Loads IDX images (`uint8` `[n, h, w]`, or `float32`/`float64` intensities in [0, 1]) and,
 * optionally, their `uint8` `[n]` labels, prepared like {@link loadMnist}: by default in
 * [-1, 1], padded by 2 pixels with -1, shape `[n, h + 4, w + 4, 1]`.
 */
export async function loadIdxImages(
  imagesPath: string,
  labelsPath?: string,
  opts?: ImageOptions,
): Promise<ImageDataset> {
  if (labelsPath !== undefined && (typeof labelsPath !== 'string' || labelsPath.length === 0)) {
    invalid('labelsPath', 'a file path or undefined', labelsPath);
  }
  const o = resolveImageOptions(opts);
  const images = await readIdx(imagesPath);
  if (images.shape.length !== 3 && !(images.shape.length === 4 && images.shape[3] === 1)) {
    throw new DatasetError(
      'E_SHAPE',
      `${imagesPath}: expected images of shape [n, h, w] (or [n, h, w, 1]), got [${images.shape.join(', ')}]`,
      { path: imagesPath },
    );
  }
  let divisor: number;
  if (images.dtype === 'uint8') divisor = 255;
  else if (images.dtype === 'float32' || images.dtype === 'float64') divisor = 1;
  else {
    throw new DatasetError(
      'E_UNSUPPORTED',
      `${imagesPath}: images of type ${images.dtype} are not supported (expected uint8, float32 or float64)`,
      { path: imagesPath },
    );
  }
  const [count, height, width] = images.shape as [number, number, number];
  let labels: Uint8Array | undefined;
  if (labelsPath !== undefined) {
    const l = await readIdx(labelsPath);
    if (l.dtype !== 'uint8' || l.shape.length !== 1) {
      throw new DatasetError(
        'E_CORRUPT_DATA',
        `${labelsPath}: expected uint8 labels of shape [n], got ${l.dtype} [${l.shape.join(', ')}]`,
        { path: labelsPath },
      );
    }
    if (l.shape[0] !== count) {
      throw new DatasetError(
        'E_CORRUPT_DATA',
        `${labelsPath}: ${l.shape[0]} labels for ${count} images in ${imagesPath}`,
        { path: labelsPath },
      );
    }
    labels = l.data as Uint8Array;
  }
  return prepareImages(
    { name: imagesPath, count, height, width, pixels: images.data, divisor, labels },
    o,
  );
}

/** Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions extends ImageOptions {
  /** Directory holding the four IDX files (default {@link FASHION_MNIST_DIR}). */
  dir?: string;
  /** `'train'` (60,000 images, default) or `'test'` (10,000). */
  split?: 'train' | 'test';
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  const { access } = await import('node:fs/promises');
  for (const p of paths) {
    try {
      await access(p);
      return p;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

/**
 * Loads Fashion-MNIST from the standard IDX files (`train-images-idx3-ubyte[.gz]`,
 * `t10k-labels-idx1-ubyte[.gz]`, ...; `.gz` or not), by default from Debian's
 * `dataset-fashion-mnist` package. Options and result as {@link loadIdxImages}; class names
 * are in `FASHION_MNIST_CLASSES`.
 */
export async function loadFashionMnist(opts?: FashionMnistOptions): Promise<LabelledImageDataset> {
  const o = checkOptions('options', opts);
  const dir = o.dir ?? FASHION_MNIST_DIR;
  if (typeof dir !== 'string' || dir.length === 0) invalid('options.dir', 'a directory path', dir);
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test') invalid('options.split', "'train' or 'test'", split);
  const { dir: _d, split: _s, ...imageOpts } = o;
  resolveImageOptions(imageOpts); // validate before touching the disk
  const prefix = split === 'train' ? 'train' : 't10k';
  const find = async (kind: string): Promise<string> => {
    const base = join(dir, `${prefix}-${kind}`);
    const found = await firstExisting([
      `${base}.gz`,
      base,
      `${base.replace(/-idx(\d)-/, '.idx$1-')}.gz`,
    ]);
    if (found === undefined) {
      const hint =
        dir === FASHION_MNIST_DIR
          ? ' (install it with `apt-get install dataset-fashion-mnist`, or pass options.dir)'
          : '';
      throw new DatasetError('E_IO', `${base}[.gz]: Fashion-MNIST file not found${hint}`, {
        path: base,
      });
    }
    return found;
  };
  const images = await find('images-idx3-ubyte');
  const labels = await find('labels-idx1-ubyte');
  return (await loadIdxImages(images, labels, imageOpts)) as LabelledImageDataset;
}
