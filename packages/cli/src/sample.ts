/**
 * `ebm sample`: Langevin samples from a trained checkpoint.
 *
 * @module sample
 */
import { dirname, extname, join, resolve } from 'node:path';
import { readCheckpoint, restoreWeights, runChain, sgldSampler } from '@ebmjs/cd-trainer';
import { imageGrid } from '@ebmjs/datasets';
import { savePng } from '@ebmjs/datasets/node';
import { type EnergyNetConfig, energyNetFromConfig } from '@ebmjs/energy-nets';
import { CorruptDataError, InvalidArgumentError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { energyLandscape } from './render.js';
import { IMAGE_SGLD, type SgldSettings } from './train.js';

/** Options of {@link sampleCheckpoint}. */
export interface SampleOptions {
  /** Checkpoint directory, or a training output / checkpoint root with `latest.json`. */
  checkpoint: string;
  n: number;
  steps: number;
  seed: number;
  /** Output PNG (default `samples.png` next to the checkpoint root). */
  out?: string;
}

/** Draws `n` Langevin chains from uniform noise with the trained model; writes a PNG. */
export async function sampleCheckpoint(o: SampleOptions): Promise<{ file: string; kind: string }> {
  let path = resolve(o.checkpoint);
  // accept the training output directory too
  let ck: Awaited<ReturnType<typeof readCheckpoint>>;
  try {
    ck = await readCheckpoint(path);
  } catch (err) {
    const inner = join(path, 'checkpoint');
    try {
      ck = await readCheckpoint(inner);
      path = inner;
    } catch {
      throw err;
    }
  }
  const { manifest } = ck;
  const config = manifest.model.config as EnergyNetConfig | null;
  if (!config)
    throw new CorruptDataError(
      `${ck.path}: the checkpoint does not store the network configuration`,
    );
  const model = energyNetFromConfig(config);
  await restoreWeights(model, ck);
  const meta = manifest.meta as { kind?: string; sgld?: SgldSettings; scale?: number };
  const settings = meta.sgld ?? IMAGE_SGLD;
  const sampler = sgldSampler(settings)(model.energy, { seed: (o.seed + 1) >>> 0, step: 0 });
  const shape = [o.n, ...model.inputShape];
  const x0 = tf.randomUniform(shape, settings.clamp[0], settings.clamp[1], 'float32', o.seed);
  const { samples } = runChain(sampler, x0, o.steps);
  const values = Float32Array.from(samples.dataSync());
  tf.dispose([x0, samples]);
  const root = dirname(ck.path);
  const file = resolve(o.out ?? join(dirname(root), 'samples-from-checkpoint.png'));
  if (extname(file).toLowerCase() !== '.png') {
    throw new InvalidArgumentError('--out', `expected a .png file name, got ${file}`);
  }
  const image =
    model.inputShape.length === 1 && model.inputShape[0] === 2
      ? energyLandscape(model.energy, { points: values, range: settings.clamp })
      : imageGrid({ data: values, shape }, { cols: Math.ceil(Math.sqrt(o.n)), scale: 2 });
  await savePng(file, image);
  model.dispose();
  return { file, kind: meta.kind ?? 'unknown' };
}
