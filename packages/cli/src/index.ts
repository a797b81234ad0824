/**
 * `ebmjs`: the `ebm` command line, and the same jobs as functions.
 *
 * @packageDocumentation
 */
export { buildProgram, MNIST_DEFAULTS, main, RBM_MNIST_DEFAULTS, TOY_DEFAULTS } from './cli.js';
export { createProgress, type Progress, type ProgressUpdate } from './progress.js';
export {
  type RbmAisResult,
  type RbmEpochRecord,
  type RbmMnistOptions,
  type RbmMnistResult,
  trainRbmMnist,
} from './rbm-mnist.js';
export { energyLandscape, type LandscapeOptions } from './render.js';
export { type SampleOptions, sampleCheckpoint } from './sample.js';
export {
  IMAGE_SGLD,
  type SgldSettings,
  TOY_SCALE,
  TOY_SGLD,
  type TrainCommonOptions,
  type TrainMnistOptions,
  type TrainResult,
  type TrainToyOptions,
  trainMnist,
  trainToy,
} from './train.js';
