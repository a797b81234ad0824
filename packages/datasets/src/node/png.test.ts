import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../errors.js';
import { imageGrid } from '../grid.js';
import { encodePngSync, savePng } from './png.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ebmjs-png-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const data = new Float32Array(9 * 5 * 4);
for (let i = 0; i < data.length; i++) data[i] = Math.cos(i / 7);
const grid = imageGrid({ data, shape: [9, 5, 4, 1] }, { cols: 3, pad: 1 });

describe('encodePngSync / savePng', () => {
  it('encodePngSync round-trips through pngjs', () => {
    const decoded = PNG.sync.read(Buffer.from(encodePngSync(grid)));
    expect([decoded.width, decoded.height]).toEqual([grid.width, grid.height]);
    expect(new Uint8Array(decoded.data)).toEqual(new Uint8Array(grid.data.buffer));
  });

  it('savePng writes a decodable file, creating directories, leaving no temporary files', async () => {
    const path = join(dir, 'sub', 'grid.png');
    await savePng(path, grid);
    const decoded = PNG.sync.read(await readFile(path));
    expect(new Uint8Array(decoded.data)).toEqual(new Uint8Array(grid.data.buffer));
    expect(await readdir(join(dir, 'sub'))).toEqual(['grid.png']);
    // overwriting replaces the file
    const other = imageGrid({ data: new Float32Array(4).fill(1), shape: [1, 2, 2] }, { pad: 0 });
    await savePng(path, other);
    expect(PNG.sync.read(await readFile(path)).width).toBe(2);
    expect(await readdir(join(dir, 'sub'))).toEqual(['grid.png']);
  });

  it('fails with E_IO and leaves nothing behind when the target cannot be written', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const err = await savePng(join(blocker, 'a.png'), grid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('E_IO');
    expect((err as DatasetError).message).toContain(join(blocker, 'a.png'));
    // a directory as the target: the rename fails, the temporary file is removed
    const target = join(dir, 'target');
    await savePng(join(target, 'x.png'), grid);
    const err2 = await savePng(target, grid).catch((e: unknown) => e);
    expect((err2 as DatasetError).code).toBe('E_IO');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(target)).toEqual(['x.png']);
  });

  it('validates before writing', async () => {
    const err = await savePng(join(dir, 'bad.png'), {
      data: new Uint8ClampedArray(3),
      width: 1,
      height: 1,
    }).catch((e: unknown) => e);
    expect((err as DatasetError).code).toBe('E_SHAPE');
    expect((await readdir(dir)).includes('bad.png')).toBe(false);
    expect(((await savePng('', grid).catch((e: unknown) => e)) as DatasetError).argument).toBe(
      'path',
    );
  });
});
