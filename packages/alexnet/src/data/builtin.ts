/**
 * The built-in dataset as a `DataSource`: the procedural shapes of shapes.ts, drawn at `sourceSize`
 * (like ImageNet's 256×256 cache records) and turned into network inputs by `@alexnet/augment`
 * exactly as ImageNet images are — random crop + mirror + PCA lighting for training, centre or 10
 * crops for evaluation, mean subtraction — with the PCA and mean measured on its own training images.
 */
import {
  centerCrop,
  drawAugmentation,
  type Lighting,
  rgbCovarianceAccumulator,
  tenCrops,
  writeCrop,
} from '@alexnet/augment';
import { ArgumentError } from '@alexnet/tensor';
import { epochOrder } from './order.js';
import { drawShape, SHAPE_CLASSES, type ShapeSplit } from './shapes.js';
import type { BatchRequest, DataSource, DataSplit, LabelledBatch } from './source.js';

export interface BuiltinOptions {
  /** Seed of the images (default 1). The data order and augmentation use the trainer's seed. */
  seed?: number;
  /** Images in the training and validation splits (defaults 2560 and 500). */
  trainSize?: number;
  valSize?: number;
  /** Side of the network input (default 224) and of the drawn images (default input · 8/7, as 224 of 256). */
  input?: number;
  sourceSize?: number;
  /** PCA lighting on training crops (default true; the paper's std 0.1). */
  lighting?: boolean;
  /** Multiplies the mean-subtracted pixels (default 1: the paper's 0–255 units). */
  scale?: number;
}

/** Drawn images are kept in memory up to this many bytes (then redrawn on each use). */
const CACHE_BYTES = 512 * 1024 * 1024;
/** Training images the mean and the PCA are measured on. */
const STATS_IMAGES = 200;

interface Stats {
  mean: [number, number, number];
  lighting: Omit<Lighting, 'alpha'>;
}

class ShapeSplitSource implements DataSplit {
  readonly inputShape: readonly [number, number, number];
  private readonly cache: (Uint8Array | undefined)[];
  private readonly cached: boolean;

  constructor(
    private readonly seed: number,
    private readonly split: ShapeSplit,
    readonly size: number,
    private readonly source: number,
    private readonly input: number,
    private readonly stats: () => Stats,
    private readonly lighting: boolean,
    private readonly scale: number,
  ) {
    this.inputShape = [3, input, input];
    this.cached = size * source * source * 3 <= CACHE_BYTES;
    this.cache = new Array(this.cached ? size : 0);
  }

  image(index: number): Uint8Array {
    const hit = this.cached ? this.cache[index] : undefined;
    if (hit) return hit;
    const out = new Uint8Array(this.source * this.source * 3);
    drawShape(this.seed, this.split, index, this.source, out);
    if (this.cached) this.cache[index] = out;
    return out;
  }

  /** The centre crop or the 10 crops of a source image, written at `offset`. */
  writeEval(src: Uint8Array, mode: 'center' | 'tenCrop', out: Float32Array, offset: number): void {
    const s = this.source;
    const { mean } = this.stats();
    const positions =
      mode === 'center' ? [{ ...centerCrop(s, s, this.input), flip: false }] : tenCrops(s, s, this.input);
    const per = 3 * this.input * this.input;
    positions.forEach((p, c) => {
      writeCrop(src, s, s, p, out, offset + c * per, { crop: this.input, mean, scale: this.scale });
    });
  }

  async *batches(request: BatchRequest): AsyncGenerator<LabelledBatch> {
    const { batchSize, mode } = request;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new ArgumentError(`batches: batchSize must be an integer >= 1, got ${batchSize}`);
    if (!['train', 'center', 'tenCrop'].includes(mode))
      throw new ArgumentError(`batches: mode must be train, center or tenCrop, got ${String(mode)}`);
    const order = epochOrder(this.size, request.seed, request.epoch, request.shuffle ?? mode === 'train');
    const crops = mode === 'tenCrop' ? 10 : 1;
    const { mean, lighting } = this.stats();
    const per = 3 * this.input * this.input;
    const s = this.source;
    const full = Math.floor(this.size / batchSize);
    const count = request.dropLast ? full : Math.ceil(this.size / batchSize);
    for (let b = request.startBatch ?? 0; b < count; b++) {
      const n = Math.min(batchSize, this.size - b * batchSize);
      const images = new Float32Array(n * crops * per);
      const labels = new Int32Array(n);
      const indices = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const index = order[b * batchSize + i]!;
        const src = this.image(index);
        labels[i] = index % SHAPE_CLASSES.length;
        indices[i] = index;
        if (mode === 'train') {
          const a = drawAugmentation({
            seed: request.seed,
            epoch: request.epoch,
            index,
            srcWidth: s,
            srcHeight: s,
            crop: this.input,
            lightingStd: this.lighting ? 0.1 : 0,
          });
          writeCrop(src, s, s, a, images, i * per, {
            crop: this.input,
            mean,
            lighting: this.lighting ? { ...lighting, alpha: a.alpha } : undefined,
            scale: this.scale,
          });
        } else {
          const positions =
            mode === 'center'
              ? [{ ...centerCrop(s, s, this.input), flip: false }]
              : tenCrops(s, s, this.input);
          positions.forEach((p, c) => {
            writeCrop(src, s, s, p, images, (i * crops + c) * per, {
              crop: this.input,
              mean,
              scale: this.scale,
            });
          });
        }
      }
      yield { count: n, images, labels, indices };
      // let timers and signals (Ctrl-C) run between batches
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The built-in ten-class shapes dataset (see shapes.ts), ready for the trainer. */
export function builtinShapes(options: BuiltinOptions = {}): DataSource {
  const seed = options.seed ?? 1;
  const trainSize = options.trainSize ?? 2560;
  const valSize = options.valSize ?? 500;
  const input = options.input ?? 224;
  const source = options.sourceSize ?? Math.round((input * 8) / 7);
  for (const [what, v, min] of [
    ['seed', seed, 0],
    ['trainSize', trainSize, 1],
    ['valSize', valSize, 0],
    ['input', input, 8],
    ['sourceSize', source, input],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < min)
      throw new ArgumentError(`builtinShapes: ${what} must be an integer >= ${min}, got ${v}`);
  }
  let stats: Stats | undefined;
  const getStats = (): Stats => {
    if (stats) return stats;
    const acc = rgbCovarianceAccumulator();
    const n = Math.min(STATS_IMAGES, trainSize);
    for (let i = 0; i < n; i++) acc.add(train.image(i));
    const r = acc.result();
    stats = {
      mean: [r.mean[0]!, r.mean[1]!, r.mean[2]!],
      // λ in pixel units (the stddevs along the eigenvectors), as fb.resnet.torch and MXNet use it: see DIFFERENCES.md
      lighting: { eigenvalues: r.stddevs, eigenvectors: r.eigenvectors },
    };
    return stats;
  };
  const lighting = options.lighting ?? true;
  const scale = options.scale ?? 1;
  if (!(Number.isFinite(scale) && scale > 0))
    throw new ArgumentError(`builtinShapes: scale must be a number > 0, got ${scale}`);
  const train = new ShapeSplitSource(seed, 'train', trainSize, source, input, getStats, lighting, scale);
  const val = new ShapeSplitSource(seed, 'val', valSize, source, input, getStats, lighting, scale);
  return {
    classes: SHAPE_CLASSES,
    train,
    val,
    sourceSize: source,
    toInput(rgb: Uint8Array, mode: 'center' | 'tenCrop'): Float32Array {
      const out = new Float32Array((mode === 'tenCrop' ? 10 : 1) * 3 * input * input);
      val.writeEval(rgb, mode, out, 0);
      return out;
    },
    description: `built-in shapes (10 classes, ${trainSize} train / ${valSize} val images of ${source}×${source}, crops ${input}, seed ${seed}${scale === 1 ? '' : `, pixels × ${scale}`})`,
  };
}
