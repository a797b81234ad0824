/**
 * Filter buffers derived from a filter tensor (repacked sub-kernels, panel layouts) and kept on
 * the wasm heap while that filter's data lives: the 60 Langevin steps of a training iteration run
 * the same weights, so each filter is repacked once per weight update instead of once per call.
 * Shared by the conv-gradient fills and the FMA convolution (one LRU over both).
 *
 * @module kernels/filter-cache
 */
import type * as tf from '@tensorflow/tfjs';
import { processState } from './shared.js';

type TensorInfo = tf.TensorInfo;
type Backend = tf.KernelBackend;

/** Uploaded buffers derived from one filter buffer, per use (geometry key). */
interface FilterCacheEntry {
  backend: Backend;
  byGeometry: Map<string, (TensorInfo | null)[]>;
}

const state = processState<{ cache: Map<tf.DataId, FilterCacheEntry> }>('filter-cache', () => ({
  cache: new Map(),
}));

/** Filters whose derived buffers stay uploaded (least recently used are dropped). */
const FILTER_CACHE_SIZE = 32;

function backendHas(backend: Backend, dataId: tf.DataId): boolean {
  const map = (backend as unknown as { dataIdMap?: { has(id: tf.DataId): boolean } }).dataIdMap;
  return map?.has(dataId) ?? false;
}

function dropEntry(entry: FilterCacheEntry): void {
  // A disposed wasm backend (rebuilt with another thread count, say) took its buffers with it.
  if ((entry.backend as unknown as { wasm?: unknown }).wasm == null) return;
  for (const infos of entry.byGeometry.values()) {
    for (const info of infos) if (info) entry.backend.disposeData(info.dataId);
  }
}

/** Frees every cached buffer. */
export function clearFilterCache(): void {
  for (const entry of state.cache.values()) dropEntry(entry);
  state.cache.clear();
}

/**
 * The buffers `build` derives from `filter` for one use (`geometry`: a key naming the use and
 * the conv geometry), uploaded once per filter buffer; `null` entries stay `null`. A tfjs data buffer never changes once written (a variable update makes a new one), and
 * the cache holds the buffer's `dataId` object, so a hit while that `dataId` is still registered
 * with the backend is the same weights: the 60 Langevin steps of a training iteration repack and
 * upload each filter once instead of 60 times. Entries whose filter was disposed are freed on
 * the next miss; at most {@link FILTER_CACHE_SIZE} filters are kept.
 */
export function repackedFilters(
  backend: Backend,
  filter: TensorInfo,
  geometry: string,
  build: (w: Float32Array) => ({ values: Float32Array; shape: number[] } | null)[],
): (TensorInfo | null)[] {
  const cache = state.cache;
  const entry = cache.get(filter.dataId);
  const hit = entry?.backend === backend ? entry.byGeometry.get(geometry) : undefined;
  if (entry && hit) {
    cache.delete(filter.dataId);
    cache.set(filter.dataId, entry); // most recently used last
    return hit;
  }
  const w = backend.readSync(filter.dataId) as Float32Array;
  const infos = build(w).map((f) =>
    f
      ? {
          dataId: backend.write(f.values, f.shape, 'float32'),
          shape: f.shape,
          dtype: 'float32' as const,
        }
      : null,
  );
  let e = entry;
  if (!e || e.backend !== backend) {
    if (e) dropEntry(e);
    e = { backend, byGeometry: new Map() };
  }
  e.byGeometry.set(geometry, infos);
  cache.delete(filter.dataId);
  cache.set(filter.dataId, e);
  for (const [id, other] of cache) {
    if (!backendHas(other.backend, id)) {
      dropEntry(other);
      cache.delete(id);
    }
  }
  while (cache.size > FILTER_CACHE_SIZE) {
    const [id, oldest] = cache.entries().next().value as [tf.DataId, FilterCacheEntry];
    dropEntry(oldest);
    cache.delete(id);
  }
  return infos;
}
