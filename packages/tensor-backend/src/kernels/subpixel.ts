/**
 * Sub-pixel geometry of a strided convolution's input gradient, shared by the conv-gradient fills
 * (kernels/wasm-conv-grads) and the FMA kernels (kernels/wasm-conv-fma).
 *
 * @module kernels/subpixel
 */

/** Output phase q of one dimension: dx[m s + q] = sum_t dy[m + c - t] w[r + t s], t < taps. */
export interface SubpixelPhase {
  q: number;
  /** The kernel taps' residue. */
  r: number;
  /** dy offset of tap 0. */
  c: number;
  /** Kernel taps that reach this phase (0 where the kernel is smaller than the stride). */
  taps: number;
  /** Positions of this phase in a dimension of `inSize`: ceil((inSize - q) / s). */
  count: number;
}

/** The `s` phases of one dimension: kernel size `k`, stride `s`, padding before `pad`. */
export function subpixelPhases(k: number, s: number, pad: number, inSize: number): SubpixelPhase[] {
  const phases: SubpixelPhase[] = [];
  for (let q = 0; q < s; q++) {
    const r = (q + pad) % s;
    const c = Math.floor((q + pad) / s);
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    const count = q < inSize ? Math.ceil((inSize - q) / s) : 0;
    phases.push({ q, r, c, taps, count });
  }
  return phases;
}
