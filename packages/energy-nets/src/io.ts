/**
 * Save and load energy nets in the TensorFlow.js Layers format.
 *
 * Saving builds the equivalent `tf.sequential` model (Conv2D / Flatten / Dense layers with Keras's
 * built-in activation names: `swish`, `relu`, `elu`, `tanh`, `sigmoid`, `softplus`, `linear`, all
 * of which tfjs-layers 4.22 and Keras know, so no custom class or Lambda layer is needed), copies
 * the weights the energy is computed with, stores the ebmjs config in `userDefinedMetadata.ebmjs`
 * and calls `model.save()`. TensorFlow's converter (`tensorflowjs_converter --input_format
 * tfjs_layers_model --output_format keras`) therefore sees a plain Sequential model whose single
 * output (shape [N, 1]) is the energy E.
 *
 * @module io
 */
import {
  CorruptDataError,
  EbmError,
  InvalidArgumentError,
  IOError,
  isNode,
  UnsupportedError,
} from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';
import { type BuiltEnergyModel, buildNet, type NetWeights, planLayers } from './net.js';
import { resolveConfig } from './nets.js';
import type { EnergyModel, EnergyNetConfig } from './types.js';

/** Format tag stored in `userDefinedMetadata.ebmjs.format`. */
export const EBMJS_FORMAT = 'ebmjs-energy-net';
/** Version of the stored metadata. */
export const EBMJS_FORMAT_VERSION = 1;

/** What `userDefinedMetadata.ebmjs` holds. */
export interface EbmjsMetadata {
  format: typeof EBMJS_FORMAT;
  version: number;
  config: EnergyNetConfig;
  /** Output sign: the saved Layers model outputs the energy E. */
  output: 'energy';
  /**
   * Spectral-norm state per layer: the σ the saved (normalised) kernel was divided by, and the
   * power-iteration vectors. Loading sets the raw kernel to saved kernel × σ.
   */
  spectralNorm?: { sigma: number; u: number[]; v: number[] }[];
}

/** Where to save or load: a path or URL string, or a tfjs IOHandler. */
export type ModelLocation = string | tf.io.IOHandler;

/** Options of {@link loadEnergyModel}. */
export interface LoadEnergyModelOptions {
  /**
   * Negate the output: for Layers models whose output is a score -E (such as the book's Keras
   * model after `tensorflowjs_converter`). The final layer's weights are negated so the loaded
   * net computes E. Default false (ebmjs saves E itself).
   */
  negate?: boolean;
}

const NODE_IO = ['./node-io.js', '@ebmjs/energy-nets/node'];

/** Imports the Node-only file handler (relative first; the package subpath if bundled). */
async function loadNodeIO(): Promise<typeof import('./node-io.js')> {
  let first: unknown;
  for (const spec of NODE_IO) {
    try {
      // A variable specifier keeps bundlers from pulling node:fs into browser builds.
      return (await import(/* @vite-ignore */ spec)) as typeof import('./node-io.js');
    } catch (e) {
      first ??= e;
    }
  }
  throw new UnsupportedError(`the Node file handler could not be loaded: ${String(first)}`, {
    cause: first,
  });
}

async function resolveHandler(
  location: ModelLocation,
  mode: 'save' | 'load',
): Promise<tf.io.IOHandler> {
  if (typeof location === 'object' && location !== null) {
    if (typeof (location as tf.io.IOHandler)[mode] !== 'function') {
      throw new InvalidArgumentError(
        'pathOrUrl',
        `expected a path, URL or IOHandler with ${mode}()`,
      );
    }
    return location;
  }
  if (typeof location !== 'string' || location.length === 0) {
    throw new InvalidArgumentError('pathOrUrl', 'expected a non-empty path or URL string');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') {
    if (!isNode()) {
      throw new UnsupportedError(
        `${location}: file paths need Node; in a browser use indexeddb://, localstorage://, downloads:// or http(s)://`,
      );
    }
    return (await loadNodeIO()).fileSystemHandler(location);
  }
  const handlers =
    mode === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
  const handler = handlers[0];
  if (!handler) {
    throw new UnsupportedError(
      `${location}: no tfjs ${mode} handler for the "${scheme}://" scheme here`,
    );
  }
  return handler;
}

const KERAS_ACTIVATION: Record<string, string> = {
  swish: 'swish',
  relu: 'relu',
  elu: 'elu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  softplus: 'softplus',
  linear: 'linear',
};

/**
 * The equivalent tfjs `LayersModel` (a `tf.sequential`), with the weights the energy is computed
 * with. Its output has shape [N, 1] and equals `model.energy(x)`. Use it for interchange, not in
 * the sampling hot path (its fused layers ops are slow to differentiate). The caller disposes it.
 */
export function toLayersModel(model: EnergyModel): tf.Sequential {
  const built = model as BuiltEnergyModel;
  if (!Array.isArray(built.layers) || typeof built.effectiveWeights !== 'function') {
    throw new InvalidArgumentError(
      'model',
      'expected a model made by convEnergyNet or mlpEnergyNet',
    );
  }
  const config = built.config;
  const act = KERAS_ACTIVATION[config.activation];
  if (!act) throw new UnsupportedError(`activation ${config.activation} has no Keras equivalent`);
  const seq = tf.sequential({ name: `ebmjs_${config.kind}_energy` });
  let convIndex = 0;
  let denseIndex = 0;
  built.layers.forEach((layer, i) => {
    const first = i === 0 ? { inputShape: [...config.inputShape] } : {};
    const kernelShape = layer.kernel.shape;
    if (layer.kind === 'conv') {
      seq.add(
        tf.layers.conv2d({
          ...first,
          filters: kernelShape[3]!,
          kernelSize: kernelShape[0]!,
          strides: layer.stride,
          padding: config.kind === 'conv' ? config.padding : 'valid',
          activation: act as 'swish',
          name: `conv2d_${convIndex++}`,
        }),
      );
    } else {
      if (config.kind === 'conv' && (i === 0 || built.layers[i - 1]!.kind === 'conv')) {
        seq.add(tf.layers.flatten({ name: 'flatten' }));
      }
      const last = i === built.layers.length - 1;
      seq.add(
        tf.layers.dense({
          ...first,
          units: kernelShape[1]!,
          activation: (last ? 'linear' : act) as 'swish',
          name: last ? 'energy' : `dense_${denseIndex++}`,
        }),
      );
    }
  });
  const weights = built.effectiveWeights();
  try {
    const trainable = seq.layers.filter((l) => l.getWeights().length > 0);
    trainable.forEach((l, i) => {
      l.setWeights([weights[2 * i]!, weights[2 * i + 1]!]);
    });
  } finally {
    tf.dispose(weights);
  }
  return seq;
}

/**
 * Saves an energy net in the tfjs Layers format (see the module notes for what the file holds).
 *
 * - Node: a plain directory path or `file://` URL writes `model.json` + `weights.bin` (atomic
 *   temp-file-and-rename; no `@tensorflow/tfjs-node` needed).
 * - Browser: `indexeddb://name`, `localstorage://name`, `downloads://name`, `http(s)://` go to
 *   tfjs's own handlers.
 * - Any `tf.io.IOHandler` (e.g. `tf.io.withSaveHandler(...)`) is used as given.
 */
export async function saveEnergyModel(model: EnergyModel, pathOrUrl: ModelLocation): Promise<void> {
  const handler = await resolveHandler(pathOrUrl, 'save');
  const built = model as BuiltEnergyModel;
  const seq = toLayersModel(model);
  try {
    const meta: EbmjsMetadata = {
      format: EBMJS_FORMAT,
      version: EBMJS_FORMAT_VERSION,
      config: built.config,
      output: 'energy',
    };
    if (built.config.spectralNorm) {
      meta.spectralNorm = built.layers.map((l) =>
        tf.tidy(() => {
          const out = l.kernel.shape[l.kernel.rank - 1]!;
          const m = tf.reshape(l.kernel, [-1, out]) as tf.Tensor2D;
          const sigma = tf.sum(tf.mul(tf.matMul(tf.reshape(l.sn!.v, [1, -1]), m), l.sn!.u));
          return {
            sigma: sigma.dataSync()[0]!,
            u: Array.from(l.sn!.u.dataSync()),
            v: Array.from(l.sn!.v.dataSync()),
          };
        }),
      );
    }
    seq.setUserDefinedMetadata({ ebmjs: meta as unknown as object });
    try {
      await seq.save(handler);
    } catch (e) {
      if (e instanceof EbmError) throw e;
      throw new IOError(
        String(typeof pathOrUrl === 'string' ? pathOrUrl : 'handler'),
        `save failed: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  } finally {
    seq.dispose();
  }
}

interface TopologyLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

function corrupt(msg: string): never {
  throw new CorruptDataError(`model.json: ${msg}`);
}

/** The layer list of a Sequential or (linear) Functional Keras topology. */
function topologyLayers(topology: unknown): TopologyLayer[] {
  let t = topology as Record<string, unknown> | null;
  if (t && typeof t === 'object' && 'model_config' in t)
    t = t.model_config as Record<string, unknown>;
  const config = t?.config as Record<string, unknown> | undefined;
  const raw = (Array.isArray(config) ? config : config?.layers) as unknown;
  if (!Array.isArray(raw)) corrupt('modelTopology has no layer list');
  return raw.map((l, i) => {
    const layer = l as { class_name?: unknown; config?: unknown; name?: unknown };
    if (
      typeof layer?.class_name !== 'string' ||
      typeof layer.config !== 'object' ||
      !layer.config
    ) {
      corrupt(`layer ${i} is malformed`);
    }
    const cfg = layer.config as Record<string, unknown>;
    return {
      className: layer.class_name,
      name: String(cfg.name ?? layer.name ?? `layer_${i}`),
      config: cfg,
    };
  });
}

function pair(v: unknown, what: string): number {
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((e) => e === list[0]) || typeof list[0] !== 'number') {
    throw new UnsupportedError(
      `${what} ${JSON.stringify(v)}: only square kernels/strides are supported`,
    );
  }
  return list[0];
}

function activationName(v: unknown): string {
  const name = typeof v === 'string' ? v : ((v as { class_name?: string })?.class_name ?? 'linear');
  const normal = name === 'silu' ? 'swish' : name;
  return normal;
}

/** Infers an ebmjs config from a Keras/tfjs Layers topology (Conv2D/Flatten/Dense chains). */
function inferConfig(layers: TopologyLayer[]): {
  config: EnergyNetConfig;
  weighted: TopologyLayer[];
} {
  let inputShape: number[] | undefined;
  const convs: TopologyLayer[] = [];
  const denses: TopologyLayer[] = [];
  const acts: string[] = [];
  let padding: 'same' | 'valid' | undefined;
  let flattened = false;
  for (const l of layers) {
    const batchShape = (l.config.batch_input_shape ?? l.config.batch_shape) as unknown;
    if (!inputShape && Array.isArray(batchShape)) inputShape = batchShape.slice(1) as number[];
    switch (l.className) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        if (flattened || denses.length)
          throw new UnsupportedError('Conv2D after Dense is not supported');
        const p = l.config.padding;
        if (p !== 'same' && p !== 'valid') throw new UnsupportedError(`padding ${String(p)}`);
        if (padding && p !== padding) throw new UnsupportedError('mixed conv paddings');
        if (l.config.use_bias === false) throw new UnsupportedError('conv layers without bias');
        if (
          l.config.dilation_rate !== undefined &&
          pair(l.config.dilation_rate, 'dilation') !== 1
        ) {
          throw new UnsupportedError('dilated convolutions');
        }
        if (l.config.data_format === 'channels_first') throw new UnsupportedError('channels_first');
        padding = p;
        convs.push(l);
        acts.push(activationName(l.config.activation));
        break;
      }
      case 'Flatten':
        flattened = true;
        break;
      case 'Dense':
        if (l.config.use_bias === false) throw new UnsupportedError('dense layers without bias');
        denses.push(l);
        acts.push(activationName(l.config.activation));
        break;
      case 'Activation': {
        if (acts.length === 0 || acts[acts.length - 1] !== 'linear') {
          throw new UnsupportedError('an Activation layer must follow a linear Conv2D/Dense layer');
        }
        acts[acts.length - 1] = activationName(l.config.activation);
        break;
      }
      default:
        throw new UnsupportedError(
          `layer ${l.name} of type ${l.className}: only InputLayer, Conv2D, Flatten, Dense and Activation are supported`,
        );
    }
  }
  if (!inputShape) corrupt('the input shape is missing (batch_input_shape)');
  if (denses.length === 0) corrupt('no Dense output layer');
  const lastDense = denses[denses.length - 1]!;
  if (lastDense.config.units !== 1 || acts[acts.length - 1] !== 'linear') {
    throw new UnsupportedError('the last layer must be Dense with 1 unit and linear activation');
  }
  const hiddenActs = acts.slice(0, -1);
  const activation = hiddenActs[0] ?? 'swish';
  if (!hiddenActs.every((a) => a === activation)) {
    throw new UnsupportedError(
      `hidden layers use different activations (${hiddenActs.join(', ')})`,
    );
  }
  const units = denses.slice(0, -1).map((d) => d.config.units as number);
  const config: EnergyNetConfig = convs.length
    ? {
        kind: 'conv',
        inputShape: inputShape as [number, number, number],
        filters: convs.map((c) => c.config.filters as number),
        kernelSizes: convs.map((c) => pair(c.config.kernel_size, 'kernel_size')),
        strides: convs.map((c) => pair(c.config.strides ?? 1, 'strides')),
        padding: padding ?? 'same',
        denseUnits: units,
        activation: activation as 'swish',
        spectralNorm: false,
        kernelInitializer: 'glorotUniform',
      }
    : {
        kind: 'mlp',
        inputShape: inputShape as [number],
        hidden: units,
        activation: activation as 'swish',
        spectralNorm: false,
        kernelInitializer: 'glorotUniform',
      };
  return { config, weighted: [...convs, ...denses] };
}

function findWeight(
  named: tf.NamedTensorMap,
  specs: tf.io.WeightsManifestEntry[],
  layer: TopologyLayer,
  which: 'kernel' | 'bias',
  index: number,
): tf.Tensor {
  const exact = named[`${layer.name}/${which}`];
  if (exact) return exact;
  const suffix = specs.find(
    (s) => s.name.endsWith(`${layer.name}/${which}`) || s.name.endsWith(`${layer.name}/${which}:0`),
  );
  if (suffix && named[suffix.name]) return named[suffix.name]!;
  // Fall back to manifest order (kernel, bias per layer), as Keras writes it.
  const spec = specs[2 * index + (which === 'kernel' ? 0 : 1)];
  const t = spec ? named[spec.name] : undefined;
  if (!t) corrupt(`weight ${layer.name}/${which} is missing`);
  return t;
}

/**
 * Loads an energy net saved by {@link saveEnergyModel} (or a compatible Keras/tfjs Layers model
 * made of Conv2D / Flatten / Dense layers with a 1-unit linear output) as an {@link EnergyModel}
 * computed with plain ops. Energies equal those before saving (bit-exact without spectral
 * normalisation; within float32 rounding with it, since the raw kernel is rebuilt as the saved
 * normalised kernel × σ).
 *
 * Errors: `IOError` when the files cannot be read, `CorruptDataError` when they are truncated or
 * malformed, `UnsupportedError` for layer types ebmjs cannot express.
 */
export async function loadEnergyModel(
  pathOrUrl: ModelLocation,
  options: LoadEnergyModelOptions = {},
): Promise<BuiltEnergyModel> {
  const negate = options.negate ?? false;
  if (typeof negate !== 'boolean')
    throw new InvalidArgumentError('options.negate', 'expected a boolean');
  const handler = await resolveHandler(pathOrUrl, 'load');
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    if (e instanceof EbmError) throw e;
    const where = typeof pathOrUrl === 'string' ? pathOrUrl : 'handler';
    if (e instanceof SyntaxError)
      throw new CorruptDataError(`${where}: ${e.message}`, { cause: e });
    throw new IOError(where, `load failed: ${(e as Error).message}`, { cause: e });
  }
  if (
    !artifacts ||
    typeof artifacts.modelTopology !== 'object' ||
    artifacts.modelTopology === null
  ) {
    corrupt('modelTopology is missing');
  }
  if (!Array.isArray(artifacts.weightSpecs) || artifacts.weightData === undefined) {
    corrupt('weights are missing');
  }
  const layers = topologyLayers(artifacts.modelTopology);
  const meta = (artifacts.userDefinedMetadata as { ebmjs?: EbmjsMetadata } | undefined)?.ebmjs;
  if (meta !== undefined && (meta.format !== EBMJS_FORMAT || typeof meta.config !== 'object')) {
    corrupt('userDefinedMetadata.ebmjs is not ebmjs energy-net metadata');
  }
  const inferred = inferConfig(layers);
  const config = meta?.config ?? inferred.config;

  let named: tf.NamedTensorMap;
  try {
    named = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  } catch (e) {
    throw new CorruptDataError(`weights could not be decoded: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const created: tf.Tensor[] = [];
  try {
    let resolved: EnergyNetConfig;
    try {
      resolved = resolveConfig(config);
    } catch (e) {
      if (e instanceof InvalidArgumentError) {
        throw new CorruptDataError(`stored config is invalid: ${e.message}`, { cause: e });
      }
      throw e;
    }
    const plan = planLayers(resolved);
    if (plan.length !== inferred.weighted.length) {
      corrupt(
        `the config describes ${plan.length} weighted layers, the topology has ${inferred.weighted.length}`,
      );
    }
    const weights: tf.Tensor[] = [];
    inferred.weighted.forEach((l, i) => {
      const kernel = findWeight(named, artifacts.weightSpecs!, l, 'kernel', i);
      const bias = findWeight(named, artifacts.weightSpecs!, l, 'bias', i);
      const want = plan[i]!.kernelShape;
      const out = want[want.length - 1]!;
      if (
        JSON.stringify(kernel.shape) !== JSON.stringify(want) ||
        JSON.stringify(bias.shape) !== JSON.stringify([out])
      ) {
        corrupt(
          `layer ${l.name}: weight shapes [${kernel.shape}] and [${bias.shape}] do not match the expected [${want}] and [${out}]`,
        );
      }
      weights.push(kernel, bias);
    });
    let sn: NetWeights['sn'];
    if (config.spectralNorm) {
      const state = meta?.spectralNorm;
      if (!Array.isArray(state) || state.length !== inferred.weighted.length) {
        corrupt('spectral-norm state is missing or has the wrong number of layers');
      }
      sn = state.map((s, i) => {
        const shape = plan[i]!.kernelShape;
        const out = shape[shape.length - 1]!;
        const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
        const numbers = (a: unknown, n: number) =>
          Array.isArray(a) && a.length === n && a.every((x) => Number.isFinite(x));
        if (!Number.isFinite(s?.sigma) || !numbers(s.u, out) || !numbers(s.v, fanIn)) {
          corrupt(`spectral-norm state of layer ${i} is malformed`);
        }
        const raw = tf.mul(weights[2 * i]!, s.sigma);
        created.push(raw);
        weights[2 * i] = raw;
        return { u: s.u, v: s.v };
      });
    }
    if (negate) {
      const k = weights.length - 2;
      for (const j of [k, k + 1]) {
        const neg = tf.neg(weights[j]!);
        created.push(neg);
        weights[j] = neg;
      }
      const last = sn?.[sn.length - 1];
      if (last) last.u = last.u.map((x) => -x);
    }
    return buildNet(resolved, { weights, ...(sn ? { sn } : {}) });
  } finally {
    tf.dispose(created);
    tf.dispose(Object.values(named));
  }
}
