/**
 * PNG encoding of RGBA images, delegated to the `fast-png` package (pure JavaScript, synchronous,
 * runs in browsers and Node alike).
 *
 * @module png
 */
import { encode } from 'fast-png';
import { checkRGBA, type RGBAImage } from './grid.js';

/**
 * Encodes RGBA pixels as PNG bytes synchronously (8-bit RGBA, deflate via `fast-png`).
 * Validates `image` first. @internal — public as `encodePngSync` in `@ebmjs/datasets/node`.
 */
export function encodePngBytes(image: RGBAImage): Uint8Array {
  checkRGBA('image', image);
  return encode({
    width: image.width,
    height: image.height,
    data: image.data,
    channels: 4,
    depth: 8,
  });
}

/**
 * Encodes RGBA pixels (e.g. from {@link imageGrid}) as a PNG file. Runs in browsers and Node.
 * The work is synchronous; the result is a `Promise` for API stability (a malformed image
 * rejects it with a `DatasetError` rather than throwing).
 *
 * @example
 * ```ts
 * const bytes = await encodePng(imageGrid(samples, { cols: 8 }));
 * const url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
 * ```
 */
export async function encodePng(image: RGBAImage): Promise<Uint8Array> {
  return encodePngBytes(image);
}
