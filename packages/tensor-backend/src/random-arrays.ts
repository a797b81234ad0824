/**
 * Fast seeded random arrays generated in JS: a xoshiro128** stream (128-bit state expanded from a
 * 32-bit seed by SplitMix32) filling a `Float32Array`, for uniforms, and a ziggurat (Marsaglia &
 * Tsang 2000, 128 layers) on the same stream for normals. The same seed gives the same numbers on
 * every backend. Uploading the array as a tensor is much cheaper than tfjs's seeded
 * `tf.randomNormal` (a JS Box-Muller through seedrandom): 128 x 32 x 32 normals take about 1 ms
 * here including the upload to wasm, against 8-9 ms (bench/NOTES.md, perf log).
 *
 * @module random-arrays
 */

/** SplitMix32 finaliser of `x`. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/** xoshiro128** state seeded from a 32-bit seed (never all zero). */
function seedState(seed: number): Int32Array {
  const s = new Int32Array(4);
  s[0] = mix32(seed + 0x9e3779b9);
  s[1] = mix32(seed + 0x3c6ef372);
  s[2] = mix32(seed + 0xdaa66d2b);
  s[3] = mix32(seed + 0x78dde6e4);
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

/**
 * `n` uniforms in [0, 1) with 24-bit resolution from a xoshiro128** generator seeded with `seed`
 * (streams of different seeds do not overlap in practice).
 */
export function uniformArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const st = seedState(seed);
  let s0 = st[0]!;
  let s1 = st[1]!;
  let s2 = st[2]!;
  let s3 = st[3]!;
  for (let i = 0; i < n; i++) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    out[i] = (r >>> 8) * 2 ** -24;
  }
  return out;
}

// Ziggurat tables (Marsaglia & Tsang 2000, "The ziggurat method for generating random
// variables", 128 layers): kn = integer acceptance thresholds, wn = scale per layer, fn = density
// at the layer edges. Built once on first use.
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
let kn: Int32Array | undefined;
let wn: Float64Array | undefined;
let fn: Float64Array | undefined;

function zigTables(): void {
  if (kn !== undefined) return;
  const m1 = 2147483648;
  const k = new Int32Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  k[0] = Math.floor((dn / q) * m1);
  k[1] = 0;
  w[0] = q / m1;
  w[127] = dn / m1;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    k[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    f[i] = Math.exp(-0.5 * dn * dn);
    w[i] = dn / m1;
  }
  kn = k;
  wn = w;
  fn = f;
}

/**
 * The ziggurat tables `normalArray` uses (kn: acceptance thresholds, wn: scales, fn: densities),
 * for the wasm kernel that draws the same numbers (kernels/wasm-random). @internal
 */
export function ziggurat(): { kn: Int32Array; wn: Float64Array; fn: Float64Array } {
  zigTables();
  return { kn: kn!, wn: wn!, fn: fn! };
}

/** One xoshiro128** output (signed 32-bit) from the state in `st`, advancing it. */
function nextInt(st: Int32Array): number {
  let s0 = st[0]!;
  let s1 = st[1]!;
  let s2 = st[2]!;
  let s3 = st[3]!;
  const m = Math.imul(s1, 5);
  const r = Math.imul((m << 7) | (m >>> 25), 9);
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = (s3 << 11) | (s3 >>> 21);
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
  return r;
}

/** A uniform in (0, 1), never 0 (it goes into log). */
function uniOpen(st: Int32Array): number {
  return ((nextInt(st) >>> 8) + 0.5) * 2 ** -24;
}

/**
 * The ziggurat's rare path (about 1% of draws): the base strip's tail, or a wedge of layer `iz`;
 * on rejection a fresh word is drawn. Marsaglia & Tsang's `nfix`.
 */
function zigSlow(
  st: Int32Array,
  hz0: number,
  iz0: number,
  K: Int32Array,
  W: Float64Array,
  F: Float64Array,
): number {
  let hz = hz0;
  let iz = iz0;
  for (;;) {
    if (iz === 0) {
      let x: number;
      let y: number;
      do {
        x = -Math.log(uniOpen(st)) / ZIG_R;
        y = -Math.log(uniOpen(st));
      } while (y + y < x * x);
      return hz > 0 ? ZIG_R + x : -ZIG_R - x;
    }
    const x = hz * W[iz]!;
    if (F[iz]! + uniOpen(st) * (F[iz - 1]! - F[iz]!) < Math.exp(-0.5 * x * x)) return x;
    hz = nextInt(st);
    iz = hz & 127;
    if (Math.abs(hz) < K[iz]!) return hz * W[iz]!;
  }
}

/**
 * `n` draws of N(mean, std²) from a ziggurat on a xoshiro128** stream seeded with `seed`. Each draw
 * uses one 32-bit output (low 7 bits: layer, the signed word: position) and is accepted at once
 * about 99% of the time; the rest take the exact wedge/tail rejection steps of Marsaglia & Tsang.
 */
export function normalArray(n: number, seed: number, mean = 0, std = 1): Float32Array {
  zigTables();
  const K = kn!;
  const W = wn!;
  const F = fn!;
  const out = new Float32Array(n);
  const st = seedState(seed);
  let s0 = st[0]!;
  let s1 = st[1]!;
  let s2 = st[2]!;
  let s3 = st[3]!;
  for (let i = 0; i < n; i++) {
    // xoshiro128** step (inlined; the state stays in locals on the hot path).
    const m = Math.imul(s1, 5);
    const hz = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const iz = hz & 127;
    let z: number;
    if (Math.abs(hz) < K[iz]!) {
      z = hz * W[iz]!;
    } else {
      st[0] = s0;
      st[1] = s1;
      st[2] = s2;
      st[3] = s3;
      z = zigSlow(st, hz, iz, K, W, F);
      s0 = st[0]!;
      s1 = st[1]!;
      s2 = st[2]!;
      s3 = st[3]!;
    }
    out[i] = mean + std * z;
  }
  return out;
}
