/**
 * `alexnet/browser`: the parts of `alexnet` that run in a web page (no file system, no sharp, no
 * CLI) — building the network from a model file's bytes, preparing an image as `alexnet predict`
 * does, the top classes, and conv1's filters as the Figure-3 grid.
 */
export { type AlexNetConfig, type AlexNetConfigInput, resolveAlexNetConfig } from '../config.js';
export { type DataSpec, dataSpecMetadata, dataSpecOf } from '../data/spec.js';
export {
  FILTER_COUNT,
  FILTER_SIZE,
  FILTERS_PER_TOWER,
  type FilterGrid,
  filterGrid,
} from '../interop/filters-grid.js';
export { type CreateAlexNetOptions, createAlexNet, type InitScheme } from '../network.js';
export {
  type BuiltModel,
  buildModel,
  MODEL_FORMAT,
  modelDescription,
  modelMetadata,
} from '../train/model-build.js';
export {
  type SafetensorsArray,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsFile,
} from '../train/safetensors-header.js';
export { VERSION } from '../version.js';
export { type CacheMean, type ImageInput, imageInput } from './image-input.js';
export { loadAlexNetBytes } from './model-bytes.js';
export { parseSafetensors } from './safetensors-bytes.js';
export { type TopClass, topClasses } from './top-classes.js';
