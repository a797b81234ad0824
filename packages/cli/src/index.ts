/**
 * `ebmjs`: the `ebm` command line, and the same jobs as functions.
 *
 * @packageDocumentation
 */
export { buildProgram, MNIST_DEFAULTS, main, TOY_DEFAULTS } from './cli.js';
export { createProgress, type Progress, type ProgressUpdate } from './progress.js';
export { energyLandscape, type LandscapeOptions, viridis } from './render.js';
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
