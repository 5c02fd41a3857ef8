/**
 * Where each consumer of randomness reads the Philox stream of the run's seed. Philox is
 * counter-based, so disjoint offset ranges are independent streams: the data, the initial weights and
 * the shuffling order never share random numbers, and changing one (say, more training images) does
 * not change the others.
 */
export const STREAM_OFFSET = {
  /** training images (each image takes ~800 values; 2^44 leaves room for billions) */
  trainData: 0,
  testData: 2 ** 44,
  /** initial weights */
  init: 2 ** 45,
  /** per-epoch shuffling of the training set */
  shuffle: 2 ** 46,
} as const;
