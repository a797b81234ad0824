/**
 * Checkpoint format and atomic file IO.
 *
 * A checkpoint is one directory `ckpt-<step>/` holding `manifest.json` (positions, random
 * state, metrics history, tensor table with CRC-32 checksums) and `tensors.bin` (all tensors,
 * little-endian, back to back). A checkpoint root directory holds several of them plus
 * `latest.json` naming the newest complete one.
 *
 * Writing is atomic: files go into a temporary directory, are flushed, the directory is renamed
 * into place, and only then is `latest.json` replaced (itself through a temporary file and a
 * rename). A crash at any point leaves the previous checkpoint intact and `latest.json` pointing
 * at a complete checkpoint. Older checkpoints are pruned only after the new one is in place.
 *
 * @module checkpoint
 */
import {
  CorruptDataError,
  InvalidArgumentError,
  IOError,
  nodeModule,
  type RngState,
} from '@ebmjs/tensor-backend';

/** Format tag stored in every manifest. */
export const CHECKPOINT_FORMAT = 'ebmjs-cd-checkpoint';
/** Current format version. */
export const CHECKPOINT_VERSION = 1;

/** Where one tensor lives in `tensors.bin`. */
export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset in `tensors.bin`. */
  offset: number;
  /** Number of elements. */
  length: number;
}

/** Per-epoch record kept in the training history. */
export interface EpochRecord {
  epoch: number;
  /** Global step count at the end of the epoch. */
  step: number;
  loss: number;
  reg: number;
  cdiv: number;
  real: number;
  fake: number;
  gradNorm: number;
  lr: number;
  /** Validation contrastive divergence `mean E(noise) - mean E(real held-out)`, if computed. */
  valCdiv?: number;
}

/** Running sums of the epoch in progress (so a mid-epoch resume reports the same means). */
export interface EpochAccumulator {
  count: number;
  sums: { loss: number; reg: number; cdiv: number; real: number; fake: number; gradNorm: number };
}

/** JSON part of a checkpoint. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  /** Global step (optimizer updates done), and where in the data the run stands. */
  position: { step: number; epoch: number; batch: number };
  rng: RngState;
  /** Factor applied to the learning rate after divergence roll-backs (1 when none). */
  lrScale: number;
  rollbacks: number;
  trainer: {
    alpha: number;
    steps: number;
    realNoise: number;
    clamp: [number, number] | null;
    seed: number;
    baseLr: number;
  };
  history: EpochRecord[];
  epochAccum: EpochAccumulator | null;
  model: { config: object | null; inputShape: number[]; tensors: TensorEntry[] };
  optimizer: {
    className: string;
    tensors: TensorEntry[];
    /** Adam's running beta powers, restored exactly (tfjs would recompute them with `pow`). */
    extra: Record<string, number>;
  };
  /** Replay buffer snapshot: its JSON with typed arrays replaced by `{ $tensor: index }`. */
  buffer: { snapshot: unknown; tensors: TensorEntry[] } | null;
  /** Free-form metadata from the caller (e.g. the CLI's configuration). */
  meta: Record<string, unknown>;
  /** Size and CRC-32 of `tensors.bin`. */
  blob: { bytes: number; crc32: number };
}

/** A checkpoint in memory. */
export interface CheckpointData {
  manifest: CheckpointManifest;
  /** Contents of `tensors.bin`. */
  blob: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE), to detect truncated or altered tensor files.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of a byte array. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Tensor blob building.

/** Collects typed arrays into one little-endian blob with a table of entries. */
export class BlobWriter {
  private parts: Uint8Array[] = [];
  private offset = 0;

  add(name: string, shape: number[], values: Float32Array | Int32Array): TensorEntry {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    // copy (the source may be a view on a larger buffer); typed arrays are little-endian on
    // every platform tfjs runs on
    const bytes = new Uint8Array(values.byteLength);
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const entry: TensorEntry = { name, shape, dtype, offset: this.offset, length: values.length };
    this.parts.push(bytes);
    this.offset += bytes.byteLength;
    return entry;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.offset);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
}

/** Reads one tensor's values out of a blob, checking bounds. */
export function readEntry(
  blob: Uint8Array,
  e: TensorEntry,
  where: string,
): Float32Array | Int32Array {
  const size = e.shape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset % 4 !== 0 || size !== e.length) {
    throw new CorruptDataError(`${where}: tensor '${e.name}' has an invalid table entry`);
  }
  const end = e.offset + e.length * 4;
  if (end > blob.byteLength) {
    throw new CorruptDataError(`${where}: tensor '${e.name}' runs past the end of tensors.bin`);
  }
  const copy = blob.slice(e.offset, end);
  return e.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
}

const TYPED =
  'Float32Array|Int32Array|Uint8Array|Float64Array|Uint32Array|Int16Array|Uint16Array|Int8Array';

/**
 * Replaces every typed array inside a JSON-like value by `{ $tensor: i, $type }`, storing its
 * values in the blob (as float32 or int32), so that any serialisable replay buffer fits.
 */
export function encodeSnapshot(value: unknown, w: BlobWriter, entries: TensorEntry[]): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const type = value.constructor.name;
    const arr = value as unknown as ArrayLike<number>;
    const stored =
      value instanceof Float32Array || value instanceof Int32Array
        ? value
        : type === 'Float64Array'
          ? Float32Array.from(arr)
          : Int32Array.from(arr);
    entries.push(w.add(`buffer/${entries.length}`, [arr.length], stored));
    return { $tensor: entries.length - 1, $type: type };
  }
  if (Array.isArray(value)) return value.map((v) => encodeSnapshot(v, w, entries));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = encodeSnapshot(v, w, entries);
    return out;
  }
  return value;
}

/** Inverse of {@link encodeSnapshot}. */
export function decodeSnapshot(
  value: unknown,
  blob: Uint8Array,
  entries: TensorEntry[],
  where: string,
): unknown {
  if (Array.isArray(value)) return value.map((v) => decodeSnapshot(v, blob, entries, where));
  if (value && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    if (typeof rec.$tensor === 'number' && typeof rec.$type === 'string') {
      const e = entries[rec.$tensor];
      if (!e || !new RegExp(`^(${TYPED})$`).test(rec.$type)) {
        throw new CorruptDataError(`${where}: buffer snapshot refers to a missing tensor`);
      }
      const raw = readEntry(blob, e, where);
      if (rec.$type === 'Float32Array' || rec.$type === 'Int32Array') return raw;
      const Ctor = (globalThis as unknown as Record<string, new (a: ArrayLike<number>) => unknown>)[
        rec.$type
      ]!;
      return new Ctor(raw);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = decodeSnapshot(v, blob, entries, where);
    return out;
  }
  return value;
}

/** Checks a parsed manifest's structure; throws {@link CorruptDataError} naming the problem. */
export function validateManifest(m: unknown, where: string): CheckpointManifest {
  const fail = (what: string): never => {
    throw new CorruptDataError(`${where}: ${what}`);
  };
  if (!m || typeof m !== 'object') fail('manifest is not a JSON object');
  const r = m as Record<string, unknown>;
  if (r.format !== CHECKPOINT_FORMAT)
    fail(`not an ebmjs CD checkpoint (format ${String(r.format)})`);
  if (r.version !== CHECKPOINT_VERSION) fail(`unsupported checkpoint version ${String(r.version)}`);
  const pos = r.position as Record<string, unknown> | undefined;
  if (
    !pos ||
    !Number.isInteger(pos.step) ||
    !Number.isInteger(pos.epoch) ||
    !Number.isInteger(pos.batch)
  ) {
    fail('position { step, epoch, batch } is missing or not integers');
  }
  const rng = r.rng as Record<string, unknown> | undefined;
  if (!rng || !Number.isInteger(rng.seed) || !Number.isInteger(rng.counter))
    fail('rng state is missing');
  const model = r.model as Record<string, unknown> | undefined;
  if (!model || !Array.isArray(model.tensors) || !Array.isArray(model.inputShape)) {
    fail('model tensor table is missing');
  }
  const opt = r.optimizer as Record<string, unknown> | undefined;
  if (!opt || !Array.isArray(opt.tensors)) fail('optimizer tensor table is missing');
  if (!Array.isArray(r.history)) fail('history is missing');
  const blob = r.blob as Record<string, unknown> | undefined;
  if (!blob || !Number.isInteger(blob.bytes) || !Number.isInteger(blob.crc32))
    fail('blob checksum is missing');
  return m as CheckpointManifest;
}

// ---------------------------------------------------------------------------------------------
// File IO (Node only; imported lazily so that browser bundles of the trainer stay fs-free).

type Fs = typeof import('node:fs/promises');
type PathMod = typeof import('node:path');

async function node(): Promise<{ fs: Fs; path: PathMod }> {
  try {
    const [fs, path] = await Promise.all([
      nodeModule<Fs>('node:fs/promises', 'file checkpoints'),
      nodeModule<PathMod>('node:path', 'file checkpoints'),
    ]);
    return { fs, path };
  } catch (cause) {
    throw new IOError('checkpoint', 'file checkpoints need Node.js (node:fs)', { cause });
  }
}

const CKPT_RE = /^ckpt-(\d+)$/;

async function writeFileSynced(fs: Fs, file: string, data: Uint8Array | string): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Options of {@link writeCheckpoint}. */
export interface WriteCheckpointOptions {
  /** How many complete checkpoints to keep (newest first, including the new one). Default 2. */
  keep?: number;
}

/**
 * Writes a checkpoint atomically under `root` (created if needed) as `ckpt-<step>/` and points
 * `latest.json` at it. Returns the checkpoint's directory.
 */
export async function writeCheckpoint(
  root: string,
  data: CheckpointData,
  options: WriteCheckpointOptions = {},
): Promise<string> {
  const keep = options.keep ?? 2;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new InvalidArgumentError('options.keep', `expected an integer >= 1, got ${keep}`);
  }
  const { fs, path } = await node();
  const name = `ckpt-${String(data.manifest.position.step).padStart(8, '0')}`;
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}-${Date.now()}`);
  try {
    await fs.mkdir(tmp, { recursive: true });
    await writeFileSynced(fs, path.join(tmp, 'tensors.bin'), data.blob);
    await writeFileSynced(fs, path.join(tmp, 'manifest.json'), JSON.stringify(data.manifest));
    // a checkpoint of the same step may exist (after a roll-back): move it aside first
    let aside: string | null = null;
    try {
      await fs.access(final);
      aside = `${final}.old-${Date.now()}`;
      await fs.rename(final, aside);
    } catch {
      aside = null;
    }
    await fs.rename(tmp, final);
    const latestTmp = path.join(root, `.latest.json.tmp-${process.pid}`);
    await writeFileSynced(
      fs,
      latestTmp,
      JSON.stringify({ checkpoint: name, step: data.manifest.position.step }),
    );
    await fs.rename(latestTmp, path.join(root, 'latest.json'));
    if (aside) await fs.rm(aside, { recursive: true, force: true });
  } catch (cause) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (cause instanceof IOError) throw cause;
    throw new IOError(root, `could not write checkpoint: ${(cause as Error).message}`, { cause });
  }
  // prune old complete checkpoints (never the one just written)
  const all = await listCheckpoints(root);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    if (old !== final) await fs.rm(old, { recursive: true, force: true });
  }
  return final;
}

/** Complete checkpoint directories under `root`, oldest first. */
export async function listCheckpoints(root: string): Promise<string[]> {
  const { fs, path } = await node();
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => CKPT_RE.test(n))
    .sort((a, b) => Number(CKPT_RE.exec(a)![1]) - Number(CKPT_RE.exec(b)![1]))
    .map((n) => path.join(root, n));
}

/**
 * Resolves a path to one checkpoint directory: a checkpoint directory itself (has
 * `manifest.json`) or a root with `latest.json`.
 */
export async function resolveCheckpoint(pathOrRoot: string): Promise<string> {
  const { fs, path } = await node();
  try {
    await fs.access(path.join(pathOrRoot, 'manifest.json'));
    return pathOrRoot;
  } catch {
    // not a checkpoint directory itself
  }
  const latestFile = path.join(pathOrRoot, 'latest.json');
  let text: string;
  try {
    text = await fs.readFile(latestFile, 'utf8');
  } catch {
    throw new IOError(pathOrRoot, 'no checkpoint here (neither manifest.json nor latest.json)');
  }
  let latest: { checkpoint?: unknown };
  try {
    latest = JSON.parse(text);
  } catch {
    throw new CorruptDataError(`${latestFile}: not valid JSON`);
  }
  if (typeof latest.checkpoint !== 'string' || !CKPT_RE.test(latest.checkpoint)) {
    throw new CorruptDataError(`${latestFile}: does not name a checkpoint directory`);
  }
  return path.join(pathOrRoot, latest.checkpoint);
}

/**
 * Reads and verifies a checkpoint (directory or root with `latest.json`). Throws
 * {@link IOError} when files are missing and {@link CorruptDataError} when they are truncated,
 * altered (CRC mismatch) or not a checkpoint.
 */
export async function readCheckpoint(
  pathOrRoot: string,
): Promise<CheckpointData & { path: string }> {
  const { fs, path } = await node();
  const dir = await resolveCheckpoint(pathOrRoot);
  const manifestFile = path.join(dir, 'manifest.json');
  const blobFile = path.join(dir, 'tensors.bin');
  let text: string;
  let blob: Uint8Array;
  try {
    text = await fs.readFile(manifestFile, 'utf8');
  } catch (cause) {
    throw new IOError(manifestFile, 'cannot read checkpoint manifest', { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CorruptDataError(`${manifestFile}: not valid JSON (truncated or overwritten?)`);
  }
  const manifest = validateManifest(parsed, manifestFile);
  try {
    blob = new Uint8Array(await fs.readFile(blobFile));
  } catch (cause) {
    throw new IOError(blobFile, 'cannot read checkpoint tensors', { cause });
  }
  if (blob.byteLength !== manifest.blob.bytes) {
    throw new CorruptDataError(
      `${blobFile}: ${blob.byteLength} bytes, the manifest says ${manifest.blob.bytes} (truncated?)`,
    );
  }
  if (crc32(blob) !== manifest.blob.crc32) {
    throw new CorruptDataError(`${blobFile}: checksum mismatch (file altered or damaged)`);
  }
  return { manifest, blob, path: dir };
}
