import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptDataError, InvalidArgumentError, IOError, ShapeError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filtersToImage } from './filters.js';
import { loadRBM, rbmFromJSON, saveRBM } from './io.js';
import { BernoulliRBM, GaussianBernoulliRBM } from './rbm.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ebmjs-rbm-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('save / load', () => {
  it('round-trips both kinds exactly and writes atomically', async () => {
    const a = new BernoulliRBM({ visible: 7, hidden: 3, seed: 5, initScale: 0.3 });
    a.setWeights({ b: Float32Array.from({ length: 7 }, (_, i) => i / 7 - 0.4) });
    const path = join(dir, 'a.json');
    await saveRBM(a, path);
    await saveRBM(a, path); // overwrite goes through the same temp + rename
    expect(await readdir(dir)).toEqual(['a.json']); // no temp file left behind
    const b = await loadRBM(path);
    expect(b.kind).toBe('bernoulli');
    expect(Array.from(b.W.dataSync())).toEqual(Array.from(a.W.dataSync()));
    expect(Array.from(b.b.dataSync())).toEqual(Array.from(a.b.dataSync()));
    const v = tf.tensor2d([[1, 0, 1, 1, 0, 0, 1]]);
    expect(b.freeEnergy(v).dataSync()[0]).toBe(a.freeEnergy(v).dataSync()[0]);

    const g = new GaussianBernoulliRBM({ visible: 2, hidden: 2, sigma: 0.7, seed: 1 });
    const gp = join(dir, 'g.json');
    await saveRBM(g, gp);
    const g2 = await loadRBM(gp);
    expect(g2).toBeInstanceOf(GaussianBernoulliRBM);
    expect((g2 as GaussianBernoulliRBM).sigma).toBe(0.7);
    tf.dispose(v);
    for (const m of [a, b, g, g2]) m.dispose();
  });

  it('bad files give CorruptDataError, missing ones IOError', async () => {
    const good = new BernoulliRBM({ visible: 2, hidden: 2, seed: 1 }).toJSON();
    const cases: [string, string][] = [
      ['truncated', JSON.stringify(good).slice(0, 40)],
      ['not an object', '[1,2]'],
      ['wrong format', JSON.stringify({ ...good, format: 'x' })],
      ['short weights', JSON.stringify({ ...good, weights: [1, 2, 3] })],
      ['NaN in bias', JSON.stringify({ ...good, hiddenBias: [0, 'x'] })],
      ['kind', JSON.stringify({ ...good, kind: 'potts' })],
      ['sigma', JSON.stringify({ ...good, kind: 'gaussian-bernoulli', sigma: -1 })],
      ['visible', JSON.stringify({ ...good, visible: 2.5 })],
    ];
    for (const [name, text] of cases) {
      const p = join(dir, `${name}.json`);
      await writeFile(p, text);
      await expect(loadRBM(p), name).rejects.toThrow(CorruptDataError);
    }
    await expect(loadRBM(join(dir, 'missing.json'))).rejects.toThrow(IOError);
    expect(() => rbmFromJSON('{')).toThrow(CorruptDataError);
    await expect(
      saveRBM(new BernoulliRBM({ visible: 1, hidden: 1 }), join(dir, 'no/such/dir.json')),
    ).rejects.toThrow(IOError);
    // a failed save leaves the previous file intact
    const keep = join(dir, 'keep.json');
    const m = new BernoulliRBM({ visible: 2, hidden: 2, seed: 2 });
    await saveRBM(m, keep);
    const before = await readFile(keep, 'utf8');
    await expect(saveRBM(m, '')).rejects.toThrow(InvalidArgumentError);
    expect(await readFile(keep, 'utf8')).toBe(before);
    m.dispose();
  });
});

describe('filtersToImage', () => {
  it('returns hidden-unit weight columns as [n, h, w, 1] images in [0, 1]', () => {
    const rbm = new BernoulliRBM({ visible: 6, hidden: 5, seed: 1, initScale: 1 });
    const img = filtersToImage(rbm, { rows: 2, cols: 2, imageShape: [2, 3] });
    expect(img.shape).toEqual([4, 2, 3, 1]);
    const W = rbm.W.arraySync();
    for (let f = 0; f < 4; f++) {
      const col = W.map((row) => row[f]!);
      const lo = Math.min(...col);
      const hi = Math.max(...col);
      for (let i = 0; i < 6; i++)
        expect(img.data[f * 6 + i]).toBeCloseTo((col[i]! - lo) / (hi - lo), 6);
    }
    const all = filtersToImage(rbm, { imageShape: [3, 2], normalize: 'none' });
    expect(all.shape[0]).toBe(5);
    expect(all.data[1]).toBeCloseTo(W[1]![0]!, 6);
    expect(() => filtersToImage(rbm, { imageShape: [28, 28] })).toThrow(ShapeError);
    expect(() => filtersToImage(rbm, { imageShape: [2, 3], rows: 0 })).toThrow(/options\.rows/);
    rbm.dispose();
  });
});
