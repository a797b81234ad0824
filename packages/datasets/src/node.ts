/**
 * Node-only part of `@ebmjs/datasets` (file I/O): import from `@ebmjs/datasets/node`.
 *
 * ```ts
 * import { loadFashionMnist, savePng } from '@ebmjs/datasets/node';
 * ```
 *
 * @module node
 */
export {
  FASHION_MNIST_DIR,
  type FashionMnistOptions,
  type IdxArray,
  type IdxDtype,
  loadFashionMnist,
  loadIdxImages,
  parseIdx,
  readIdx,
} from './node/idx.js';
export { encodePngSync, savePng } from './node/png.js';
