/**
 * The data-source interface the `alexnet` trainer and evaluator read (`alexnet` re-exports these
 * types; its built-in dataset implements them, as this package's cache loader does). Any object of
 * this shape works: the trainer depends on the shape, not on this package's classes.
 */

/** How a split's images are turned into network inputs. */
export type CropMode =
  /** Random crop + horizontal flip + PCA lighting (the paper's training augmentation). */
  | 'train'
  /** The centre crop. */
  | 'center'
  /** The 4 corner crops and the centre, and their mirrors: 10 network inputs per image. */
  | 'tenCrop';

export interface BatchRequest {
  /** Images per batch (the last batch of an epoch may be smaller unless dropLast). */
  batchSize: number;
  mode: CropMode;
  /** Order and augmentation are a pure function of (seed, epoch): the same request, the same batches. */
  seed: number;
  epoch: number;
  /** Shuffle the order (default: true for 'train', false otherwise). */
  shuffle?: boolean;
  /** Skip a final partial batch (default false). */
  dropLast?: boolean;
  /** Start at this batch of the epoch (resume mid-epoch without producing the skipped batches). */
  startBatch?: number;
}

export interface LabelledBatch {
  /** Images in this batch (≤ batchSize). */
  count: number;
  /**
   * count × crops × 3 × H × W floats, image-major: for 'tenCrop' image i's crops are rows 10i … 10i+9
   * (crops = 10), otherwise crops = 1.
   */
  images: Float32Array;
  /** count class indices in [0, classes). */
  labels: Int32Array;
  /** Position of each image in the split (for reports and predictions). */
  indices: Int32Array;
}

export interface DataSplit {
  /** Images in the split. */
  readonly size: number;
  /** [3, H, W] of one network input (after cropping). */
  readonly inputShape: readonly [number, number, number];
  /** The batches of one pass over the split, in order. */
  batches(request: BatchRequest): AsyncIterable<LabelledBatch>;
}

export interface DataSource {
  /** Human-readable class names, by class index (sorted-wnid order for ImageNet layouts). */
  readonly classes: readonly string[];
  readonly train: DataSplit;
  readonly val: DataSplit;
  /** Where the data came from, for logs ("built-in shapes (seed 1)", "/data/imagenette2 cache"). */
  readonly description: string;
  /** Stops worker threads and frees shared memory (optional). */
  close?(): Promise<void>;
  /**
   * Side of the square records the crops are cut from, and the network input(s) of such an image
   * (RGB uint8 HWC, sourceSize²) prepared as the split's images are: mean subtracted, scaled, centre
   * crop or 10 crops (for predictions on image files).
   */
  readonly sourceSize?: number;
  toInput?(rgb: Uint8Array, mode: 'center' | 'tenCrop'): Float32Array;
}
