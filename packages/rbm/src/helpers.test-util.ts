// Test helpers: brute-force references in float64 JS, independent of the tensor code.
import { createRng } from '@ebmjs/tensor-backend';
import { BernoulliRBM, GaussianBernoulliRBM } from './rbm.js';

export interface Params {
  W: Float64Array; // [v, h] row-major
  b: Float64Array;
  c: Float64Array;
  nv: number;
  nh: number;
}

export function randomParams(nv: number, nh: number, scale: number, seed: number): Params {
  const rng = createRng(seed);
  const W = Float64Array.from({ length: nv * nh }, () => scale * rng.gaussian());
  const b = Float64Array.from({ length: nv }, () => 0.5 * rng.gaussian());
  const c = Float64Array.from({ length: nh }, () => 0.5 * rng.gaussian());
  // Round through float32 so the reference and the model use identical parameters.
  return { W: f32(W), b: f32(b), c: f32(c), nv, nh };
}

function f32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

export function bernoulliFrom(p: Params): BernoulliRBM {
  const rbm = new BernoulliRBM({ visible: p.nv, hidden: p.nh, seed: 1 });
  rbm.setWeights({ W: p.W, b: p.b, c: p.c });
  return rbm;
}

export function gaussianFrom(p: Params, sigma: number): GaussianBernoulliRBM {
  const rbm = new GaussianBernoulliRBM({ visible: p.nv, hidden: p.nh, sigma, seed: 1 });
  rbm.setWeights({ W: p.W, b: p.b, c: p.c });
  return rbm;
}

export function bits(state: number, n: number): number[] {
  return Array.from({ length: n }, (_, j) => (state >> j) & 1);
}

/** Bernoulli energy E(v, h) = -b.v - c.h - v W h. */
export function energyB(p: Params, v: number[], h: number[]): number {
  let e = 0;
  for (let i = 0; i < p.nv; i++) e -= p.b[i]! * v[i]!;
  for (let j = 0; j < p.nh; j++) e -= p.c[j]! * h[j]!;
  for (let i = 0; i < p.nv; i++)
    for (let j = 0; j < p.nh; j++) e -= v[i]! * p.W[i * p.nh + j]! * h[j]!;
  return e;
}

/** Gaussian-Bernoulli energy (Hinton's parameterisation). */
export function energyG(p: Params, sigma: number, v: number[], h: number[]): number {
  let e = 0;
  for (let i = 0; i < p.nv; i++) e += (v[i]! - p.b[i]!) ** 2 / (2 * sigma * sigma);
  for (let j = 0; j < p.nh; j++) e -= p.c[j]! * h[j]!;
  for (let i = 0; i < p.nv; i++)
    for (let j = 0; j < p.nh; j++) e -= (v[i]! / sigma) * p.W[i * p.nh + j]! * h[j]!;
  return e;
}

export function lse(xs: number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) m = Math.max(m, x);
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

/** log Z by summing over every (v, h) pair. */
export function bruteLogZ(p: Params): number {
  const terms: number[] = [];
  for (let sv = 0; sv < 2 ** p.nv; sv++)
    for (let sh = 0; sh < 2 ** p.nh; sh++) terms.push(-energyB(p, bits(sv, p.nv), bits(sh, p.nh)));
  return lse(terms);
}

/** Exact p(v) for every visible state (index = state bits). */
export function exactPv(p: Params): Float64Array {
  const logZ = bruteLogZ(p);
  return Float64Array.from({ length: 2 ** p.nv }, (_, sv) => {
    const terms: number[] = [];
    for (let sh = 0; sh < 2 ** p.nh; sh++) terms.push(-energyB(p, bits(sv, p.nv), bits(sh, p.nh)));
    return Math.exp(lse(terms) - logZ);
  });
}

/** All visible states as a flat array [2^nv, nv]. */
export function allStates(n: number): Float32Array {
  const out = new Float32Array(2 ** n * n);
  for (let s = 0; s < 2 ** n; s++) out.set(bits(s, n), s * n);
  return out;
}
