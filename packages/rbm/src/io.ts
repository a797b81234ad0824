/**
 * Saving and loading RBMs as JSON. In Node, {@link saveRBM} writes a temporary file next to the
 * target and renames it over the target, so an interrupted save never leaves a truncated file.
 *
 * @module io
 */
import { CorruptDataError, InvalidArgumentError, IOError, nodeModule } from '@ebmjs/tensor-backend';
import { BernoulliRBM, GaussianBernoulliRBM, RBM, type RBMJSON } from './rbm.js';

function numberArray(json: Record<string, unknown>, key: string, length: number): number[] {
  const a = json[key];
  if (!Array.isArray(a)) throw new CorruptDataError(`RBM JSON: "${key}" is not an array`);
  if (a.length !== length) {
    throw new CorruptDataError(`RBM JSON: "${key}" has ${a.length} values, expected ${length}`);
  }
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'number' || !Number.isFinite(a[i])) {
      throw new CorruptDataError(`RBM JSON: "${key}"[${i}] is not a finite number`);
    }
  }
  return a as number[];
}

/** Serialises an RBM (same as `rbm.toJSON()`). */
export function rbmToJSON(rbm: RBM): RBMJSON {
  if (!(rbm instanceof RBM)) throw new InvalidArgumentError('rbm', 'expected an RBM');
  return rbm.toJSON();
}

/**
 * Rebuilds an RBM from {@link rbmToJSON} output (an object or a JSON string). Throws
 * `CorruptDataError` if the content is not a complete, consistent ebmjs RBM.
 */
export function rbmFromJSON(
  input: RBMJSON | string | unknown,
): BernoulliRBM | GaussianBernoulliRBM {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (cause) {
      throw new CorruptDataError('RBM JSON: not valid JSON', { cause });
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CorruptDataError('RBM JSON: expected an object');
  }
  const o = json as Record<string, unknown>;
  if (o.format !== 'ebmjs-rbm') throw new CorruptDataError('RBM JSON: "format" is not "ebmjs-rbm"');
  if (o.version !== 1) {
    throw new CorruptDataError(`RBM JSON: unsupported version ${JSON.stringify(o.version)}`);
  }
  const { visible, hidden, kind } = o;
  for (const [k, v] of [
    ['visible', visible],
    ['hidden', hidden],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new CorruptDataError(`RBM JSON: "${k}" is not a positive integer`);
    }
  }
  const nv = visible as number;
  const nh = hidden as number;
  const W = numberArray(o, 'weights', nv * nh);
  const b = numberArray(o, 'visibleBias', nv);
  const c = numberArray(o, 'hiddenBias', nh);
  let rbm: BernoulliRBM | GaussianBernoulliRBM;
  if (kind === 'bernoulli') {
    rbm = new BernoulliRBM({ visible: nv, hidden: nh, initScale: 0, seed: 0 });
  } else if (kind === 'gaussian-bernoulli') {
    const sigma = o.sigma;
    if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0) {
      throw new CorruptDataError('RBM JSON: "sigma" is not a positive number');
    }
    rbm = new GaussianBernoulliRBM({ visible: nv, hidden: nh, sigma, initScale: 0, seed: 0 });
  } else {
    throw new CorruptDataError(`RBM JSON: unknown kind ${JSON.stringify(kind)}`);
  }
  rbm.setWeights({ W, b, c });
  return rbm;
}

/**
 * Writes `rbm` as JSON to `path` (Node only): first to a temporary file in the same directory,
 * then renamed over `path`, so an existing file is replaced whole or not at all.
 */
export async function saveRBM(rbm: RBM, path: string): Promise<void> {
  if (!(rbm instanceof RBM)) throw new InvalidArgumentError('rbm', 'expected an RBM');
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('path', 'expected a non-empty file path');
  }
  const text = JSON.stringify(rbm.toJSON());
  const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises', 'RBM files');
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  try {
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, path);
  } catch (cause) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new IOError(path, `could not save the RBM: ${(cause as Error).message}`, { cause });
  }
}

/** Reads an RBM saved by {@link saveRBM} (Node only). Bad content throws `CorruptDataError`. */
export async function loadRBM(path: string): Promise<BernoulliRBM | GaussianBernoulliRBM> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('path', 'expected a non-empty file path');
  }
  const fs = await nodeModule<typeof import('node:fs/promises')>('node:fs/promises', 'RBM files');
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (cause) {
    throw new IOError(path, `could not read the RBM: ${(cause as Error).message}`, { cause });
  }
  try {
    return rbmFromJSON(text);
  } catch (e) {
    if (e instanceof CorruptDataError) {
      throw new CorruptDataError(`${path}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
