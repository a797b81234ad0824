/**
 * `@ebmjs/langevin`: Langevin samplers as pure `init`/`step` kernels.
 *
 * - {@link sgld}: the EBM-training loop of the book (noise, clamp, gradient clip).
 * - {@link ula}: unadjusted Langevin; {@link mala}: Metropolis-adjusted Langevin.
 * - Schedules for step size and noise: {@link constant}, {@link linear}, {@link geometric},
 *   {@link exponential}, {@link cosine}.
 * - {@link sample}: run a sampler with snapshots, a per-step callback and early stop.
 *
 * @packageDocumentation
 */
export type { EnergyFn } from './energy.js';
export { acceptanceRate, type MalaInfo, type MalaOptions, type MalaState, mala } from './mala.js';
export { disposeState, type SampleOptions, type SampleResult, sample } from './sample.js';
export {
  constant,
  cosine,
  exponential,
  geometric,
  linear,
  type Schedule,
} from './schedules.js';
export { SGLD_BOOK_DEFAULTS, type SgldInfo, type SgldOptions, sgld } from './sgld.js';
export type { Sampler, SamplerState, ScheduleLike, StepInfo } from './types.js';
export { type UlaOptions, ula } from './ula.js';
