/** Test data for the ablations' runners: small deterministic in-memory CIFAR-shaped splits (no files). */
import type { DataSource, DataSplit, LabelledBatch } from 'alexnet';

/** A deterministic in-memory 32×32 dataset: `size` random images, labels i mod 10. */
export function memorySplit(size: number): DataSplit {
  const images = Float32Array.from({ length: size * 3072 }, (_, i) => Math.sin(i * 12.9898) * 0.8);
  return {
    size,
    inputShape: [3, 32, 32],
    async *batches(req) {
      const order = [...Array(size).keys()];
      if (req.shuffle ?? req.mode === 'train') {
        let s = (req.seed * 7919 + req.epoch * 104729 + 1) >>> 0;
        for (let i = size - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      const n = req.dropLast ? Math.floor(size / req.batchSize) : Math.ceil(size / req.batchSize);
      for (let b = req.startBatch ?? 0; b < n; b++) {
        const idx = order.slice(b * req.batchSize, (b + 1) * req.batchSize);
        const out = new Float32Array(idx.length * 3072);
        idx.forEach((k, i) => {
          out.set(images.subarray(k * 3072, (k + 1) * 3072), i * 3072);
        });
        const batch: LabelledBatch = {
          count: idx.length,
          images: out,
          labels: Int32Array.from(idx, (k) => k % 10),
          indices: Int32Array.from(idx),
        };
        yield batch;
      }
    },
  };
}

export const memoryData = (): DataSource => ({
  classes: [...'0123456789'],
  train: memorySplit(64),
  val: memorySplit(32),
  description: 'memory',
});
