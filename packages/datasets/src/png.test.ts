import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DatasetError } from './errors.js';
import { imageGrid, type RGBAImage } from './grid.js';
import { encodePng } from './png.js';

function noiseImage(width: number, height: number, seed = 1): RGBAImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    // mix smooth gradients with noise
    data[i] = i % 3 === 0 ? s >>> 24 : (i >> 2) % width;
  }
  return { data, width, height };
}

describe('PNG encoding', () => {
  it('encodePng round-trips through an independent decoder (pngjs)', async () => {
    for (const [w, h] of [
      [1, 1],
      [7, 5],
      [64, 33],
      [300, 70], // 84 kB of pixels: larger than one 64 KiB window
    ] as const) {
      const img = noiseImage(w, h, w + h);
      const png = await encodePng(img);
      expect(png).toBeInstanceOf(Uint8Array);
      const decoded = PNG.sync.read(Buffer.from(png));
      expect([decoded.width, decoded.height]).toEqual([w, h]);
      expect(new Uint8Array(decoded.data)).toEqual(new Uint8Array(img.data.buffer));
    }
  });

  it('round-trips an image grid, and compresses it', async () => {
    const data = new Float32Array(16 * 28 * 28);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i / 50);
    const grid = imageGrid({ data, shape: [16, 28, 28, 1] });
    const png = await encodePng(grid);
    const decoded = PNG.sync.read(Buffer.from(png));
    expect(new Uint8Array(decoded.data)).toEqual(new Uint8Array(grid.data.buffer));
    expect(png.length).toBeLessThan(grid.data.length / 4);
  });

  it('rejects malformed images', async () => {
    await expect(
      encodePng({ data: new Uint8ClampedArray(3), width: 1, height: 1 }),
    ).rejects.toThrow(DatasetError);
    await expect(
      encodePng({ data: new Float32Array(4) as never, width: 1, height: 1 }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      argument: 'image.data',
    });
    await expect(
      encodePng({ data: new Uint8ClampedArray(0), width: 0, height: 1 }),
    ).rejects.toMatchObject({
      argument: 'image.width',
    });
  });
});
