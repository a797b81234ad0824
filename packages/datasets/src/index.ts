/**
 * `@ebmjs/datasets`: data for energy-based models as plain typed arrays with shapes
 * (`{ data: Float32Array, shape }`, ready for `tf.tensor(data, shape)`), with no dependency on
 * tfjs. Everything here runs in Node and in browsers; file I/O (IDX files, saving PNGs) lives in
 * `@ebmjs/datasets/node`.
 *
 * - 2-D toy distributions with seeds: {@link toy}, {@link twoMoons}, {@link eightGaussians}, ...
 * - MNIST: {@link loadMnist} (10,000 bundled digits, prepared as in the book)
 * - mini-batches without copies: {@link batches}, {@link epochs}
 * - pictures: {@link imageGrid}, {@link imageStrip}, {@link encodePng}, {@link drawToCanvas}
 *
 * @packageDocumentation
 */
export {
  type ArrayDataset,
  type Batch,
  type BatchOptions,
  batchCount,
  batches,
  type EpochBatch,
  type EpochOptions,
  epochs,
  type NumericArray,
} from './batches.js';
export { viridis } from './colormap.js';
export { DatasetError, type DatasetErrorCode } from './errors.js';
export {
  type CanvasLike,
  drawToCanvas,
  type GridOptions as ImageGridOptions,
  type GridStyle,
  type ImageBatch,
  imageGrid,
  imageStrip,
  type RGBAImage,
} from './grid.js';
export type {
  ImageDataset,
  ImageOptions,
  LabelledImageDataset,
  PixelRange,
} from './images.js';
export {
  loadMnist,
  loadMnistRaw,
  MNIST_BUNDLED_COUNT,
  type MnistOptions,
  type MnistRaw,
} from './mnist.js';
export { encodePng } from './png.js';
export { createRng, type Rng } from './random.js';
export {
  type CheckerboardOptions,
  checkerboard,
  type EightGaussiansOptions,
  eightGaussians,
  type GaussianMixtureOptions,
  type GridOptions as ToyGridOptions,
  gaussianMixture,
  grid,
  type PinwheelOptions,
  pinwheel,
  type RingsOptions,
  rings,
  swissRoll,
  TOY_NAMES,
  type ToyDataset,
  type ToyName,
  type ToyOptions,
  toy,
  twoMoons,
} from './toy.js';

/** Class names of Fashion-MNIST, indexed by label. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
