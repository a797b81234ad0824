/**
 * `@ebmjs/replay-buffer`: the persistent sample buffer of EBM training ({@link ReplayBuffer}).
 *
 * @packageDocumentation
 */
export {
  type InitFn,
  ReplayBuffer,
  type ReplayBufferOptions,
  type ReplayBufferSnapshot,
} from './buffer.js';
