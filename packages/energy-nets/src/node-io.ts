/**
 * Node-only: a tfjs `IOHandler` that saves and loads the Layers format (`model.json` +
 * `weights.bin`) on the file system without `@tensorflow/tfjs-node`. Each file is written to a
 * temporary name, synced and renamed over the target, so a crash never leaves a half-written
 * file in place (weights first, then `model.json`, which is what readers open).
 *
 * Loaded dynamically by `saveEnergyModel`/`loadEnergyModel` for plain paths and `file://` URLs,
 * so the main entry stays browser-safe. Also exported as `@ebmjs/energy-nets/node`.
 *
 * @module node-io
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CorruptDataError, IOError } from '@ebmjs/tensor-backend';
import * as tf from '@tensorflow/tfjs';

const WEIGHTS_FILE = 'weights.bin';
const MODEL_FILE = 'model.json';

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  complex64: 8,
};

/** Writes `data` to `target` atomically: temporary file, fsync, rename. */
async function writeAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new IOError(target, `could not write: ${(e as Error).message}`, { cause: e });
  }
}

function modelJsonPath(path: string): string {
  return path.endsWith('.json') ? path : join(path, MODEL_FILE);
}

function stripScheme(path: string): string {
  return path.startsWith('file://') ? path.slice('file://'.length) : path;
}

/** Expected byte length of the weights described by a manifest. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const s of specs) {
    const size = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.quantization?.dtype ?? s.dtype;
    const bytes = BYTES[dtype];
    if (bytes === undefined) throw new CorruptDataError(`weight ${s.name}: unknown dtype ${dtype}`);
    total += size * bytes;
  }
  return total;
}

/**
 * A file-system IOHandler. Saving to `dir` (or `dir/model.json`) writes `dir/model.json` and
 * `dir/weights.bin`; loading reads `model.json` (a directory path gets `/model.json` appended)
 * and the weight files its manifest lists, and checks their total size.
 *
 * Errors: `IOError` when a file cannot be read or written, `CorruptDataError` when `model.json`
 * is not valid JSON of the Layers format or the weights are truncated.
 */
export function fileSystemHandler(pathOrFileUrl: string): tf.io.IOHandler {
  const path = stripScheme(pathOrFileUrl);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const modelPath = modelJsonPath(path);
      const dir = dirname(modelPath);
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        throw new IOError(dir, `could not create directory: ${(e as Error).message}`, { cause: e });
      }
      const specs = artifacts.weightSpecs ?? [];
      const data = artifacts.weightData
        ? new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData))
        : new Uint8Array(0);
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: specs }],
      };
      if (artifacts.trainingConfig) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata)
        modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      const text = JSON.stringify(modelJSON);
      await writeAtomic(join(dir, WEIGHTS_FILE), data);
      await writeAtomic(modelPath, text);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(specs).length,
          weightDataBytes: data.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = modelJsonPath(path);
      let text: string;
      try {
        text = await readFile(modelPath, 'utf8');
      } catch (e) {
        throw new IOError(modelPath, `could not read: ${(e as Error).message}`, { cause: e });
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch (e) {
        throw new CorruptDataError(`${modelPath}: not valid JSON (${(e as Error).message})`, {
          cause: e,
        });
      }
      if (
        typeof json !== 'object' ||
        json === null ||
        typeof json.modelTopology !== 'object' ||
        json.modelTopology === null ||
        !Array.isArray(json.weightsManifest)
      ) {
        throw new CorruptDataError(
          `${modelPath}: not a tfjs Layers model.json (needs modelTopology and weightsManifest)`,
        );
      }
      const dir = dirname(modelPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
            throw new CorruptDataError(`${modelPath}: malformed weightsManifest entry`);
          }
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = join(dir, p);
            try {
              buffers.push(await readFile(file));
            } catch (e) {
              throw new IOError(file, `could not read: ${(e as Error).message}`, { cause: e });
            }
          }
        }
        const total = buffers.reduce((a, b) => a + b.byteLength, 0);
        const expected = expectedBytes(specs);
        if (total !== expected) {
          throw new CorruptDataError(
            `${modelPath}: weight files hold ${total} bytes, the manifest describes ${expected} (truncated or mismatched)`,
          );
        }
        const data = new Uint8Array(total);
        let offset = 0;
        for (const b of buffers) {
          data.set(b, offset);
          offset += b.byteLength;
        }
        return [specs, data.buffer];
      });
    },
  };
}
