import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import { FASHION_MNIST_DIR, loadFashionMnist, loadIdxImages, readIdx } from './idx.js';

const TYPES = {
  uint8: [0x08, 1, (v: DataView, o: number, x: number) => v.setUint8(o, x)],
  int8: [0x09, 1, (v: DataView, o: number, x: number) => v.setInt8(o, x)],
  int16: [0x0b, 2, (v: DataView, o: number, x: number) => v.setInt16(o, x)],
  int32: [0x0c, 4, (v: DataView, o: number, x: number) => v.setInt32(o, x)],
  float32: [0x0d, 4, (v: DataView, o: number, x: number) => v.setFloat32(o, x)],
  float64: [0x0e, 8, (v: DataView, o: number, x: number) => v.setFloat64(o, x)],
} as const;

/** Encodes an IDX file by the spec (big-endian header and values), independently of the reader. */
function idxBytes(dtype: keyof typeof TYPES, shape: number[], values: number[]): Uint8Array {
  const [code, size, set] = TYPES[dtype];
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + values.length * size);
  const v = new DataView(out.buffer);
  v.setUint32(0, (code << 8) | shape.length);
  shape.forEach((d, i) => {
    v.setUint32(4 + 4 * i, d);
  });
  values.forEach((x, i) => {
    set(v, header + i * size, x);
  });
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ebmjs-idx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

async function rejection(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

describe('readIdx', () => {
  it('reads every IDX type, raw and gzipped, in native byte order', async () => {
    const cases: [keyof typeof TYPES, number[]][] = [
      ['uint8', [0, 1, 127, 128, 255, 42]],
      ['int8', [-128, -1, 0, 1, 127, 5]],
      ['int16', [-32768, -2, 0, 258, 32767, 7]],
      ['int32', [-2147483648, -3, 0, 65536 + 3, 2147483647, 9]],
      ['float32', [-1.5, 0, 0.25, 3.140000104904175, 2 ** -20, 100]],
      ['float64', [Math.PI, -Math.E, 0, 1e300, -1e-300, 0.1]],
    ];
    for (const [dtype, values] of cases) {
      const bytes = idxBytes(dtype, [2, 3], values);
      for (const gz of [false, true]) {
        const p = await write(`${dtype}${gz ? '.gz' : ''}`, gz ? gzipSync(bytes) : bytes);
        const r = await readIdx(p);
        expect(r.dtype, dtype).toBe(dtype);
        expect(r.shape).toEqual([2, 3]);
        expect(Array.from(r.data)).toEqual(values);
      }
    }
  });

  it('detects gzip from the content, not the name', async () => {
    const bytes = idxBytes('uint8', [4], [1, 2, 3, 4]);
    const p = await write('looks-raw-but-gzipped', gzipSync(bytes));
    expect(Array.from((await readIdx(p)).data)).toEqual([1, 2, 3, 4]);
  });

  it('fails with E_CORRUPT_DATA naming the file on truncated, padded or foreign files', async () => {
    const good = idxBytes(
      'uint8',
      [3, 2, 2],
      Array.from({ length: 12 }, (_, i) => i),
    );
    const bad: [string, Uint8Array, RegExp][] = [
      [
        'truncated',
        good.subarray(0, good.length - 1),
        /truncated: header says uint8 \[3, 2, 2\] = 28 bytes, file has 27/,
      ],
      ['trailing', Uint8Array.from([...good, 0]), /trailing bytes/],
      ['header-cut', good.subarray(0, 9), /truncated header/],
      ['tiny', Uint8Array.from([0, 0]), /not an IDX file/],
      ['wrong-magic', Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 1, 5]), /magic number 0x00000701/],
      ['png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), /not an IDX file/],
      ['truncated.gz', gzipSync(good).subarray(0, 20), /gzip data is corrupt or truncated/],
    ];
    for (const [name, bytes, re] of bad) {
      const p = await write(name, bytes);
      const e = await rejection(readIdx(p));
      expect(e.code, name).toBe('E_CORRUPT_DATA');
      expect(e.message, name).toMatch(re);
      expect(e.message, name).toContain(p);
      expect(e.path).toBe(p);
    }
  });

  it('fails with E_IO naming a missing file', async () => {
    const p = join(dir, 'missing.idx');
    const e = await rejection(readIdx(p));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(p);
    expect(e.message).toContain('ENOENT');
  });
});

describe('loadIdxImages', () => {
  it('prepares uint8 images like MNIST (pad with -1, [-1, 1]) with labels', async () => {
    const pixels = Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 17) % 256);
    const img = await write('img3', idxBytes('uint8', [3, 4, 5], pixels));
    const lab = await write('lab3', gzipSync(idxBytes('uint8', [3], [7, 2, 7])));
    const d = await loadIdxImages(img, lab);
    expect(d.shape).toEqual([3, 8, 9, 1]);
    expect(Array.from(d.labels!)).toEqual([7, 2, 7]);
    expect(d.data[0]).toBe(-1);
    // image 1, pixel (y=3, x=4) sits at (5, 6)
    expect(d.data[72 + 5 * 9 + 6]).toBeCloseTo((2 * pixels[20 + 3 * 5 + 4]!) / 255 - 1, 6);
    const sevens = await loadIdxImages(img, lab, {
      classes: [7],
      pad: false,
      range: '0..1',
      flatten: true,
    });
    expect(sevens.shape).toEqual([2, 20]);
    expect(sevens.data[20 + 4]).toBeCloseTo(pixels[40 + 4]! / 255, 6);
  });

  it('takes float images as intensities in [0, 1], without labels', async () => {
    const img = await write('f32', idxBytes('float32', [1, 2, 2], [0, 0.5, 1, 0.25]));
    const d = await loadIdxImages(img, undefined, { pad: false });
    expect(Array.from(d.data)).toEqual([-1, 0, 1, -0.5]);
    expect(d.labels).toBeUndefined();
    const out = await write('f32-bad', idxBytes('float32', [1, 1, 2], [0.5, 1.5]));
    expect((await rejection(loadIdxImages(out))).code).toBe('E_CORRUPT_DATA');
  });

  it("binarize: 'sample' draws Bernoulli(intensity) pixels, reproducibly per seed", async () => {
    // 100 x 100 pixels of intensity 0.3, then one row of 0s and one of 1s
    const values = [
      ...Array<number>(10000).fill(0.3),
      ...Array<number>(100).fill(0),
      ...Array<number>(100).fill(1),
    ];
    const img = await write('f32-sample', idxBytes('float32', [1, 102, 100], values));
    const opts = { binarize: 'sample', seed: 11, pad: false, flatten: true } as const;
    const d = await loadIdxImages(img, undefined, opts);
    let ones = 0;
    for (let i = 0; i < 10000; i++) ones += d.data[i]!;
    // Binomial(10000, 0.3): sd = sqrt(0.3 * 0.7 / 10000) = 0.0046; 4 sd = 0.018
    expect(Math.abs(ones / 10000 - 0.3)).toBeLessThan(0.018);
    expect(Array.from(d.data.subarray(10000, 10100))).toEqual(Array(100).fill(0));
    expect(Array.from(d.data.subarray(10100))).toEqual(Array(100).fill(1));
    expect((await loadIdxImages(img, undefined, opts)).data).toEqual(d.data);
    const other = await loadIdxImages(img, undefined, { ...opts, seed: 12 });
    expect(other.data).not.toEqual(d.data);
    const noSeed = await rejection(loadIdxImages(img, undefined, { binarize: 'sample' }));
    expect(noSeed.argument).toBe('options.seed');
  });

  it('rejects unusable files and options', async () => {
    const img = await write('img2', idxBytes('uint8', [2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    const lab3 = await write('lab-3', idxBytes('uint8', [3], [1, 2, 3]));
    const labI = await write('lab-int', idxBytes('int32', [2], [1, 2]));
    const vec = await write('vec', idxBytes('uint8', [8], [1, 2, 3, 4, 5, 6, 7, 8]));
    const i16 = await write('i16', idxBytes('int16', [1, 1, 1], [3]));
    expect((await rejection(loadIdxImages(img, lab3))).message).toMatch(/3 labels for 2 images/);
    expect((await rejection(loadIdxImages(img, labI))).code).toBe('E_CORRUPT_DATA');
    expect((await rejection(loadIdxImages(vec))).code).toBe('E_SHAPE');
    expect((await rejection(loadIdxImages(i16))).code).toBe('E_UNSUPPORTED');
    const noLabels = await rejection(loadIdxImages(img, undefined, { classes: [1] }));
    expect(noLabels.argument).toBe('options.classes');
    expect((await rejection(loadIdxImages(img, undefined, { n: 3 }))).argument).toBe('options.n');
    expect((await rejection(loadIdxImages(img, undefined, { range: 'x' as never }))).argument).toBe(
      'options.range',
    );
  });
});

describe('Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  it('is installed', () => {
    // CI installs it; a missing directory must fail, not skip
    expect(
      existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz')),
      `${FASHION_MNIST_DIR} is missing: install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)`,
    ).toBe(true);
  });

  it('test split: 10,000 images, 1,000 per class, prepared to [-1, 1] and 32x32', async () => {
    const d = await loadFashionMnist({ split: 'test' });
    expect(d.shape).toEqual([10000, 32, 32, 1]);
    const counts = new Array(10).fill(0);
    for (const l of d.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000)); // the published test split is balanced
    let min = Infinity;
    let max = -Infinity;
    const x = d.data;
    for (let i = 0; i < x.length; i++) {
      if (x[i]! < min) min = x[i]!;
      if (x[i]! > max) max = x[i]!;
    }
    expect([min, max]).toEqual([-1, 1]);
  });

  it('train split: 60,000 labels, 6,000 per class, and the published pixel mean 0.2860', async () => {
    const raw = await readIdx(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
    expect(raw.shape).toEqual([60000, 28, 28]);
    let sum = 0;
    const px = raw.data;
    for (let i = 0; i < px.length; i++) sum += px[i]!;
    // the normalisation constant everyone uses for Fashion-MNIST train is mean 0.2860
    expect(sum / raw.data.length / 255).toBeCloseTo(0.286, 3);
    const d = await loadFashionMnist({ n: 2000, pad: false, range: '0..1' });
    expect(d.shape).toEqual([2000, 28, 28, 1]);
    for (let p = 0; p < 784; p++)
      expect(d.data[1999 * 784 + p]).toBeCloseTo(raw.data[1999 * 784 + p]! / 255, 6);
    const labels = await readIdx(join(FASHION_MNIST_DIR, 'train-labels-idx1-ubyte.gz'));
    const counts = new Array(10).fill(0);
    for (const l of labels.data) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    expect(Array.from(d.labels.subarray(0, 2000))).toEqual(
      Array.from(labels.data.subarray(0, 2000)),
    );
  });

  it('names the directory and the Debian package when the files are missing', async () => {
    const e = await rejection(loadFashionMnist({ dir, split: 'test' }));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(join(dir, 't10k-images-idx3-ubyte'));
    expect((await rejection(loadFashionMnist({ split: 'val' as never }))).argument).toBe(
      'options.split',
    );
  });
});
