/**
 * A small seeded pseudo-random generator: mulberry32 for uniforms, Box–Muller for normals.
 * Pure JavaScript, identical on every platform, so a seed always gives the same numbers.
 *
 * @module random
 */
import { invalid } from './errors.js';

/** A seeded stream of random numbers. */
export interface Rng {
  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Turns any finite number into a well-mixed 32-bit state (splitmix32-style finaliser). */
function mixSeed(seed: number): number {
  // fold in the high bits too, so seeds beyond 2^32 and negative seeds stay distinct
  let h = (seed >>> 0) ^ Math.floor(seed / 4294967296);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Creates a seeded random stream.
 *
 * @param seed - any integer (negative and large integers are fine); the same seed gives the same
 *   sequence everywhere.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) invalid('seed', 'an integer', seed);
  let a = mixSeed(seed);
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // Box–Muller; 1 - u is in (0, 1] so the log is finite
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  const int = (n: number): number => Math.floor(uniform() * n);
  return { uniform, normal, int };
}

/** In-place Fisher–Yates shuffle of `arr` with `rng`. Returns `arr`. @internal */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(
  arr: T,
  rng: Rng,
): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = t;
  }
  return arr;
}

/** Derives an independent seed for a sub-stream (e.g. one per epoch). @internal */
export function deriveSeed(seed: number, k: number): number {
  return mixSeed(mixSeed(seed) ^ Math.imul(k + 1, 0x9e3779b1));
}
