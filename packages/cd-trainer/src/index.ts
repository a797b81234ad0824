/**
 * `@ebmjs/cd-trainer`: contrastive-divergence training of energy-based models.
 *
 * - {@link createCDTrainer}: `step(batch)` → `{ loss, reg, cdiv, real, fake }`, `fit(data, ...)`
 *   with validation, callbacks, atomic checkpoints, exact resume and a divergence guard.
 * - {@link snapshotCallback}: Langevin chains from noise at epoch ends.
 * - {@link energyDistance}, {@link mmd}: sample-quality metrics.
 * - Checkpoint IO: {@link readCheckpoint}, {@link writeCheckpoint}, {@link listCheckpoints}.
 *
 * @packageDocumentation
 */
export {
  langevinSnapshot,
  recordSteps,
  type Snapshot,
  type SnapshotOptions,
  snapshotCallback,
} from './callbacks.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointData,
  type CheckpointManifest,
  crc32,
  type EpochRecord,
  listCheckpoints,
  readCheckpoint,
  resolveCheckpoint,
  type TensorEntry,
  type WriteCheckpointOptions,
  writeCheckpoint,
} from './checkpoint.js';
export { energyDistance, type MmdOptions, mmd } from './distance.js';
export {
  type BatchEndInfo,
  type Callbacks,
  type CDTrainer,
  type CDTrainerOptions,
  createCDTrainer,
  type EpochEndInfo,
  type FitOptions,
  type FitResult,
  isEbmError,
  type LrSchedule,
  restoreWeights,
  runChain,
  sgldSampler,
  stepDecay,
} from './trainer.js';
export type {
  BufferSnapshot,
  EnergyFn,
  EnergyModelLike,
  ReplayBufferLike,
  SamplerFactory,
  SamplerLike,
  StepMetrics,
  TrainData,
} from './types.js';
