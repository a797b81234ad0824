/**
 * Writing PNG files from Node: synchronous encoding and atomic saves.
 *
 * @module node/png
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DatasetError, invalid } from '../errors.js';
import type { RGBAImage } from '../grid.js';
import { encodePngBytes } from '../png.js';

/**
 * Encodes RGBA pixels as PNG bytes synchronously (the same `fast-png` encoder as `encodePng`,
 * without the `Promise`). Throws a `DatasetError` for a malformed image.
 */
export function encodePngSync(image: RGBAImage): Uint8Array {
  return encodePngBytes(image);
}

/**
 * Saves RGBA pixels (e.g. an `imageGrid`) as a PNG file, atomically: the bytes go to a temporary
 * file in the same directory, which is then renamed over `path`, so a reader never sees a half
 * written file and an existing file survives a failed write. Creates missing directories.
 */
export async function savePng(path: string, image: RGBAImage): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) invalid('path', 'a file path', path);
  const bytes = encodePngSync(image);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new DatasetError('E_IO', `${path}: cannot write PNG (${(e as Error).message})`, {
      path,
      cause: e,
    });
  }
}
