import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CorruptDataError,
  InvalidArgumentError,
  IOError,
  UnsupportedError,
} from '@ebmjs/tensor-backend';
import { expectNoLeak } from '@ebmjs/tensor-backend/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnergyModel, saveEnergyModel } from './io.js';
import type { BuiltEnergyModel } from './net.js';
import { convEnergyNet, mlpEnergyNet } from './nets.js';
import { fileSystemHandler } from './node-io.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'ebmjs-energy-nets-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let count = 0;
const fresh = () => join(root, `m${count++}`);

function energies(model: { energy: (x: tf.Tensor) => tf.Tensor }, x: tf.Tensor): number[] {
  const e = model.energy(x);
  const v = Array.from(e.dataSync());
  e.dispose();
  return v;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('save/load round trip', () => {
  it('the book net: identical energies and config from a directory path', async () => {
    const net = convEnergyNet({ seed: 3 });
    const x = tf.randomNormal([5, 32, 32, 1], 0, 1, 'float32', 1);
    const dir = fresh();
    await saveEnergyModel(net, dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']); // no temp files left
    const back = await loadEnergyModel(dir);
    expect(energies(back, x)).toEqual(energies(net, x)); // bit-exact
    expect(back.config).toEqual(net.config);
    expect(back.parameterCount).toBe(76993);
    // the loaded model trains: its variables are fresh tf.Variables
    expect(back.variables.every((v) => v.trainable)).toBe(true);
    // saving over an existing model replaces it atomically
    const other = convEnergyNet({ seed: 4 });
    await saveEnergyModel(other, `file://${dir}`);
    const again = await loadEnergyModel(join(dir, 'model.json'));
    expect(energies(again, x)).toEqual(energies(other, x));
    expect(energies(again, x)).not.toEqual(energies(net, x));
    for (const m of [net, back, other, again]) m.dispose();
    x.dispose();
  });

  it('the file is a plain Layers model that tf.loadLayersModel reads with the same output', async () => {
    const net = convEnergyNet({ inputShape: [8, 8, 1], filters: [4, 8], denseUnits: [6], seed: 2 });
    const dir = fresh();
    await saveEnergyModel(net, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const layers = json.modelTopology.config.layers;
    expect(layers.map((l: { class_name: string }) => l.class_name)).toEqual([
      'Conv2D',
      'Conv2D',
      'Flatten',
      'Dense',
      'Dense',
    ]);
    expect(layers[0].config.activation).toBe('swish');
    expect(layers[4].config.activation).toBe('linear');
    expect(json.userDefinedMetadata.ebmjs).toMatchObject({
      format: 'ebmjs-energy-net',
      output: 'energy',
    });
    const keras = await tf.loadLayersModel(fileSystemHandler(dir));
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 5);
    const y = keras.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 1]);
    const ours = energies(net, x);
    Array.from(y.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(ours[i]!, 5);
    });
    keras.dispose();
    tf.dispose([x, y]);
    net.dispose();
  });

  it('an MLP net through an in-memory IOHandler', async () => {
    const net = mlpEnergyNet({ inputDim: 3, hidden: [5, 4], activation: 'softplus', seed: 1 });
    let saved: tf.io.ModelArtifacts | undefined;
    await saveEnergyModel(
      net,
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const back = await loadEnergyModel(tf.io.fromMemory(saved!));
    const x = tf.randomNormal([4, 3]);
    expect(energies(back, x)).toEqual(energies(net, x));
    expect(back.config).toEqual(net.config);
    tf.dispose(x);
    net.dispose();
    back.dispose();
  });

  it('a spectrally normalised net: same energies (float32 rounding) and SN state', async () => {
    const net = convEnergyNet({
      inputShape: [8, 8, 1],
      filters: [4, 4],
      denseUnits: [5],
      spectralNorm: true,
      seed: 8,
    });
    net.variables.forEach((v, i) => {
      i % 2 === 0 && v.assign(tf.mul(v, 2.5));
    });
    net.updateSpectralNorm!(3);
    const dir = fresh();
    await saveEnergyModel(net, dir);
    const back = await loadEnergyModel(dir);
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 2);
    const a = energies(net, x);
    const b = energies(back, x);
    // raw kernel = saved (W/σ)·σ, then divided by σ again: a few float32 ulps per layer.
    a.forEach((v, i) => {
      expect(Math.abs(b[i]! - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
    });
    expect(typeof back.updateSpectralNorm).toBe('function');
    expect(Array.from(back.layers[1]!.sn!.u.dataSync())).toEqual(
      Array.from(net.layers[1]!.sn!.u.dataSync()),
    );
    // the Layers model (which knows nothing of SN) computes the same energies too
    const keras = await tf.loadLayersModel(fileSystemHandler(dir));
    const y = keras.predict(x) as tf.Tensor;
    Array.from(y.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(a[i]!, 5);
    });
    tf.dispose([x, y]);
    keras.dispose();
    net.dispose();
    back.dispose();
  });

  it('does not leak tensors over save/load cycles', async () => {
    const net = mlpEnergyNet({ inputDim: 2, hidden: [4], spectralNorm: true, seed: 1 });
    const dir = fresh();
    await expectNoLeak(async () => {
      await saveEnergyModel(net, dir);
      const back = await loadEnergyModel(dir);
      back.dispose();
    });
    net.dispose();
  });
});

describe('models from Keras / plain tfjs Layers (no ebmjs metadata)', () => {
  async function kerasStyle(dir: string): Promise<tf.Sequential> {
    // What the book's model looks like after tensorflowjs_converter: Keras default layer names,
    // swish activations, and an output that is a score (= -E).
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'swish',
        name: 'conv2d',
      }),
    );
    m.add(
      tf.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'swish',
        name: 'conv2d_1',
      }),
    );
    m.add(tf.layers.flatten({ name: 'flatten' }));
    m.add(tf.layers.dense({ units: 5, activation: 'swish', name: 'dense' }));
    m.add(tf.layers.dense({ units: 1, name: 'dense_1' }));
    await m.save(fileSystemHandler(dir));
    return m;
  }

  it('loads, infers the config, and negates a score output on request', async () => {
    const dir = fresh();
    const keras = await kerasStyle(dir);
    const x = tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 6);
    const y = keras.predict(x) as tf.Tensor;
    const score = Array.from(y.dataSync());
    const plain = await loadEnergyModel(dir);
    expect(plain.config).toMatchObject({
      kind: 'conv',
      inputShape: [8, 8, 1],
      filters: [3, 4],
      kernelSizes: [3, 3],
      strides: [2, 2],
      denseUnits: [5],
      activation: 'swish',
    });
    energies(plain, x).forEach((v, i) => {
      expect(v).toBeCloseTo(score[i]!, 5);
    });
    const negated = await loadEnergyModel(dir, { negate: true });
    energies(negated, x).forEach((v, i) => {
      expect(v).toBeCloseTo(-score[i]!, 5);
    });
    // and it saves back as an ebmjs model
    const dir2 = fresh();
    await saveEnergyModel(negated, dir2);
    const again = await loadEnergyModel(dir2);
    expect(energies(again, x)).toEqual(energies(negated, x));
    for (const m of [plain, negated, again]) m.dispose();
    keras.dispose();
    tf.dispose([x, y]);
  });

  it('rejects layers it cannot express with UnsupportedError', async () => {
    const dir = fresh();
    const m = tf.sequential();
    m.add(tf.layers.dense({ inputShape: [2], units: 3, activation: 'relu' }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.dense({ units: 1 }));
    await m.save(fileSystemHandler(dir));
    m.dispose();
    const err = await errorOf(loadEnergyModel(dir));
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(String(err)).toMatch(/BatchNormalization/);
  });
});

describe('load errors', () => {
  async function savedCopy(): Promise<string> {
    const net = mlpEnergyNet({ inputDim: 2, hidden: [4], seed: 1 });
    const dir = fresh();
    await saveEnergyModel(net, dir);
    net.dispose();
    return dir;
  }

  it('garbage or truncated model.json gives CorruptDataError', async () => {
    const dir = await savedCopy();
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), text.slice(0, Math.floor(text.length / 2)));
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
    await writeFile(join(dir, 'model.json'), '\u0000\u0001garbage');
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
    await writeFile(join(dir, 'model.json'), JSON.stringify({ hello: 'world' }));
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: { config: { layers: 'x' } }, weightsManifest: [] }),
    );
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
  });

  it('truncated weights.bin gives CorruptDataError', async () => {
    const dir = await savedCopy();
    await truncate(join(dir, 'weights.bin'), 10);
    const err = await errorOf(loadEnergyModel(dir));
    expect(err).toBeInstanceOf(CorruptDataError);
    expect(String(err)).toMatch(/truncated/);
  });

  it('metadata that disagrees with the weights gives CorruptDataError', async () => {
    const dir = await savedCopy();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.userDefinedMetadata.ebmjs.config.hidden = [7];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
    json.userDefinedMetadata.ebmjs.config.hidden = [-4];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(CorruptDataError);
  });

  it('missing files give IOError; bad locations give typed errors', async () => {
    expect(await errorOf(loadEnergyModel(join(root, 'does-not-exist')))).toBeInstanceOf(IOError);
    const dir = await savedCopy();
    await rm(join(dir, 'weights.bin'));
    expect(await errorOf(loadEnergyModel(dir))).toBeInstanceOf(IOError);
    expect(await errorOf(loadEnergyModel(''))).toBeInstanceOf(InvalidArgumentError);
    expect(await errorOf(loadEnergyModel('nosuchscheme://model'))).toBeInstanceOf(UnsupportedError);
    const net = mlpEnergyNet({ inputDim: 2, seed: 1 });
    expect(await errorOf(saveEnergyModel(net, 42 as never))).toBeInstanceOf(InvalidArgumentError);
    expect(
      await errorOf(
        saveEnergyModel({ ...net, layers: undefined } as unknown as BuiltEnergyModel, fresh()),
      ),
    ).toBeInstanceOf(InvalidArgumentError);
    expect(await errorOf(loadEnergyModel(dir, { negate: 'yes' as never }))).toBeInstanceOf(
      InvalidArgumentError,
    );
    net.dispose();
  });
});
