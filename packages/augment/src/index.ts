/**
 * @alexnet/augment — the AlexNet paper's data augmentation on its own: random crops and mirrors,
 * the ten test crops, PCA lighting and mean subtraction, written as float32 CHW into a caller's
 * batch buffer; every random choice a pure function of (seed, epoch, index) through Philox; and the
 * streaming dataset statistics (mean image, RGB covariance and its eigenvectors) it needs.
 */
export {
  type CropParams,
  type CropPosition,
  centerCrop,
  randomCrop,
  TEN_CROP_NAMES,
  tenCrops,
  type UniformSource,
} from './crop.js';
export {
  AUGMENT_COUNTER_TAG,
  type Augmentation,
  type AugmentationRequest,
  drawAugmentation,
  PAPER_CROP,
  PAPER_LIGHTING_STD,
} from './draw.js';
export { IMAGENET_PCA, type Lighting, lightingShift, type PcaBasis, type Vec3 } from './lighting.js';
export {
  channelMean,
  type MeanImage,
  MeanImageAccumulator,
  meanImageAccumulator,
  RgbCovarianceAccumulator,
  type RgbStats,
  rgbCovarianceAccumulator,
  type SymmetricEigen,
  symmetricEigen3,
} from './stats.js';
export { type Mean, type WriteCropOptions, writeCrop } from './write.js';
