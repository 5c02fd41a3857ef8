/**
 * What the trainer and evaluator read: labelled batches of NCHW float32 images, ready for the
 * network (cropped, flipped, lit and mean-subtracted as the split's mode asks). The interface lives
 * in `@alexnet/imagenet` (the data package; `alexnet` depends on it, never the other way); the
 * built-in dataset here implements it, the ImageNet cache loader there does.
 */
export type { BatchRequest, CropMode, DataSource, DataSplit, LabelledBatch } from '@alexnet/imagenet';
