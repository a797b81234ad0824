/**
 * The energy type samplers accept: `EnergyFn` from `@ebmjs/energy-nets`
 * (`(x: Tensor [N, ...]) => Tensor1D [N]`, low energy = likely).
 *
 * @module energy
 */
export type { EnergyFn } from '@ebmjs/energy-nets';
