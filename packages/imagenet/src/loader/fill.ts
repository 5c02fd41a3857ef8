/**
 * Filling a batch: the work one worker does for a run of a batch's images — read each record,
 * crop/mirror/light/mean-subtract it with `@alexnet/augment`, and write float32 CHW into the batch
 * slot (a SharedArrayBuffer) at the image's position. Everything random comes from
 * `drawAugmentation(seed, epoch, record index)`, so which worker fills which image never matters.
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { type CropParams, centerCrop, drawAugmentation, tenCrops, writeCrop } from '@alexnet/augment';
import type { CropMode } from './source.js';

export interface FillTask {
  /** Records file and record geometry (square records, RGB uint8 HWC). */
  file: string;
  recordBytes: number;
  size: number;
  /** The batch slot: float32, image-major, crops × 3 × crop × crop per image. */
  images: SharedArrayBuffer;
  /** Record index of each image to fill, and its position in the batch. */
  records: number[];
  positions: number[];
  mode: CropMode;
  crop: number;
  seed: number;
  epoch: number;
  flip: boolean;
  lightingStd: number;
  /** Mean image (float32 HWC, size×size×3) or per-channel mean, or none. */
  meanImage: SharedArrayBuffer | null;
  channelMean: [number, number, number] | null;
  /** PCA basis for lighting (train mode), λ in the units of the shift. */
  pca: { eigenvalues: [number, number, number]; eigenvectors: [number, number, number][] } | null;
  scale: number;
}

export const cropsPerImage = (mode: CropMode): number => (mode === 'tenCrop' ? 10 : 1);

/** Reads records from files, keeping one descriptor per file and one record buffer. */
export class RecordReader {
  private readonly fds = new Map<string, number>();
  private buf = new Uint8Array(0);

  read(file: string, record: number, recordBytes: number): Uint8Array {
    let fd = this.fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      this.fds.set(file, fd);
    }
    if (this.buf.length !== recordBytes) this.buf = new Uint8Array(recordBytes);
    let got = 0;
    while (got < recordBytes) {
      const n = readSync(fd, this.buf, got, recordBytes - got, record * recordBytes + got);
      if (n === 0) throw new Error(`${file}: record ${record} is past the end of the file`);
      got += n;
    }
    return this.buf;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

export function fillImages(task: FillTask, reader: RecordReader): void {
  const { size, crop, mode } = task;
  const out = new Float32Array(task.images);
  const perImage = cropsPerImage(mode) * 3 * crop * crop;
  const mean = task.meanImage ? new Float32Array(task.meanImage) : task.channelMean;
  const fixed: CropParams[] =
    mode === 'tenCrop' ? tenCrops(size, size, crop) : [{ ...centerCrop(size, size, crop), flip: false }];
  for (let k = 0; k < task.records.length; k++) {
    const record = task.records[k]!;
    const src = reader.read(task.file, record, task.recordBytes);
    let offset = task.positions[k]! * perImage;
    if (mode === 'train') {
      const a = drawAugmentation({
        seed: task.seed,
        epoch: task.epoch,
        index: record,
        srcWidth: size,
        srcHeight: size,
        crop,
        flip: task.flip,
        lightingStd: task.pca ? task.lightingStd : 0,
      });
      writeCrop(src, size, size, a, out, offset, {
        crop,
        mean,
        lighting: task.pca ? { alpha: a.alpha, ...task.pca } : null,
        scale: task.scale,
      });
    } else {
      for (const params of fixed)
        offset = writeCrop(src, size, size, params, out, offset, { crop, mean, scale: task.scale });
    }
  }
}
