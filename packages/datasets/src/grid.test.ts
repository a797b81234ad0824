import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import { drawToCanvas, imageGrid, imageStrip, type RGBAImage } from './grid.js';

function pixel(img: RGBAImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 4;
  return Array.from(img.data.subarray(o, o + 4));
}

describe('imageGrid', () => {
  it('places images row-major with padding, maps [-1, 1] to 0-255', () => {
    // three 2x2 grey images; image i has values [-1, 0, 1, i - 1]
    const data = new Float32Array(12);
    for (let i = 0; i < 3; i++) data.set([-1, 0, 1, i - 1], i * 4);
    const g = imageGrid({ data, shape: [3, 2, 2, 1] }, { cols: 2, pad: 1, padValue: 50 });
    expect(g.width).toBe(2 * 2 + 3);
    expect(g.height).toBe(2 * 2 + 3);
    expect(g.data).toBeInstanceOf(Uint8ClampedArray);
    expect(pixel(g, 0, 0)).toEqual([50, 50, 50, 255]); // padding
    // image 0 at (1, 1)
    expect(pixel(g, 1, 1)).toEqual([0, 0, 0, 255]);
    expect(pixel(g, 2, 1)).toEqual([128, 128, 128, 255]); // 0 -> round(127.5)
    expect(pixel(g, 1, 2)).toEqual([255, 255, 255, 255]);
    expect(pixel(g, 2, 2)).toEqual([0, 0, 0, 255]); // i - 1 = -1
    // image 1 at (4, 1); image 2 at (1, 4); cell (4, 4) is empty
    expect(pixel(g, 5, 2)).toEqual([128, 128, 128, 255]);
    expect(pixel(g, 2, 5)).toEqual([255, 255, 255, 255]);
    expect(pixel(g, 4, 4)).toEqual([50, 50, 50, 255]);
  });

  it('clips out-of-range values, paints NaN red, honours range, scale and NHW shapes', () => {
    const data = Float32Array.from([-5, 5, Number.NaN, 0.25]);
    const g = imageGrid({ data, shape: [1, 2, 2] }, { pad: 0, range: [0, 1], scale: 2 });
    expect([g.width, g.height]).toEqual([4, 4]);
    expect(pixel(g, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(g, 1, 1)).toEqual([0, 0, 0, 255]); // magnified
    expect(pixel(g, 2, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(g, 0, 2)).toEqual([255, 0, 0, 255]);
    expect(pixel(g, 3, 3)).toEqual([64, 64, 64, 255]); // round(63.75)
  });

  it('RGB and RGBA images', () => {
    const rgb = imageGrid({ data: Float32Array.from([1, -1, 0]), shape: [1, 1, 1, 3] }, { pad: 0 });
    expect(pixel(rgb, 0, 0)).toEqual([255, 0, 128, 255]);
    const rgba = imageGrid(
      { data: Float32Array.from([0, 0.5, 1, 0.5]), shape: [1, 1, 1, 4] },
      { pad: 0, range: [0, 1] },
    );
    expect(pixel(rgba, 0, 0)).toEqual([0, 128, 255, 128]);
  });

  it('default columns: ceil(sqrt(n))', () => {
    const g = imageGrid({ data: new Float32Array(10 * 4), shape: [10, 2, 2, 1] }, { pad: 0 });
    expect([g.width, g.height]).toEqual([4 * 2, 3 * 2]);
  });

  it('rejects bad input with typed errors', () => {
    const cases: [() => unknown, string, string][] = [
      [
        () => imageGrid({ data: new Float32Array(3), shape: [1, 2, 2, 1] }),
        'images.data',
        'E_SHAPE',
      ],
      [
        () => imageGrid({ data: new Float32Array(8), shape: [1, 2, 2, 2] }),
        'images.shape',
        'E_SHAPE',
      ],
      [() => imageGrid({ data: new Float32Array(8), shape: [8] }), 'images.shape', 'E_SHAPE'],
      [
        () => imageGrid({ data: new Float32Array(4), shape: [1, 2, 2] }, { cols: 0 }),
        'options.cols',
        'E_INVALID_ARGUMENT',
      ],
      [
        () => imageGrid({ data: new Float32Array(4), shape: [1, 2, 2] }, { range: [1, 1] }),
        'options.range',
        'E_INVALID_ARGUMENT',
      ],
      [
        () => imageGrid({ data: new Float32Array(4), shape: [1, 2, 2] }, { pad: -1 }),
        'options.pad',
        'E_INVALID_ARGUMENT',
      ],
      [
        () => imageGrid({ data: new Float32Array(0), shape: [0, 2, 2] }),
        'images.shape[0]',
        'E_INVALID_ARGUMENT',
      ],
      [() => imageStrip([]), 'frames', 'E_INVALID_ARGUMENT'],
      [
        () =>
          imageStrip([
            { data: new Float32Array(4), shape: [1, 2, 2] },
            { data: new Float32Array(8), shape: [2, 2, 2] },
          ]),
        'frames[1].shape',
        'E_SHAPE',
      ],
    ];
    for (const [fn, arg, code] of cases) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, arg).toBeInstanceOf(DatasetError);
      expect((err as DatasetError).code, arg).toBe(code);
      expect((err as DatasetError).argument, arg).toBe(arg);
    }
  });
});

describe('imageStrip', () => {
  it('rows are chains, columns are steps; list and 5-D forms agree', () => {
    const steps = 3;
    const chains = 2;
    // 1x1 images: value of (step s, chain c) = (s * chains + c) / 10 - 0.5
    const frames = Array.from({ length: steps }, (_, s) => ({
      data: Float32Array.from({ length: chains }, (_, c) => (s * chains + c) / 10 - 0.5),
      shape: [chains, 1, 1, 1],
    }));
    const a = imageStrip(frames, { pad: 1 });
    expect([a.width, a.height]).toEqual([steps * 1 + 4, chains * 1 + 3]);
    for (let s = 0; s < steps; s++) {
      for (let c = 0; c < chains; c++) {
        const v = Math.fround((s * chains + c) / 10 - 0.5); // stored as float32
        expect(pixel(a, 1 + 2 * s, 1 + 2 * c)[0]).toBe(Math.round((v + 1) * 127.5));
      }
    }
    const all = new Float32Array(steps * chains);
    frames.forEach((f, s) => {
      all.set(f.data, s * chains);
    });
    const b = imageStrip({ data: all, shape: [steps, chains, 1, 1, 1] }, { pad: 1 });
    expect(b).toEqual(a);
  });
});

describe('drawToCanvas', () => {
  it('copies the pixels into ImageData and puts them at (x, y)', () => {
    const img = imageGrid(
      { data: Float32Array.from([1, -1]), shape: [2, 1, 1] },
      { pad: 0, cols: 2 },
    );
    const calls: unknown[] = [];
    const ctx = {
      createImageData: (w: number, h: number) => ({
        data: new Uint8ClampedArray(w * h * 4),
        width: w,
        height: h,
      }),
      putImageData: (im: { data: Uint8ClampedArray }, x: number, y: number) =>
        calls.push([Array.from(im.data), x, y]),
    };
    drawToCanvas(ctx, img, 3, 4);
    expect(calls).toEqual([[[255, 255, 255, 255, 0, 0, 0, 255], 3, 4]]);
    expect(() => drawToCanvas({} as never, img)).toThrow(DatasetError);
  });
});
