import { ArgumentError, ShapeError } from '@alexnet/tensor';
import { describe, expect, it } from 'vitest';
import { type CropParams, centerCrop, tenCrops } from './crop.js';
import { drawAugmentation } from './draw.js';
import { IMAGENET_PCA, lightingShift } from './lighting.js';
import { meanImageAccumulator } from './stats.js';
import { data, poisoned, randomBytes, randomInt, replay } from './test-helpers.js';
import { writeCrop } from './write.js';

/**
 * A source whose pixels say where they come from: channel 0 holds the row, channel 1 the column
 * (so sources stay ≤ 255 pixels a side) and channel 2 random bytes; no channel repeats another.
 */
function encoded(salt: number, w: number, h: number): { src: Uint8Array; noise: Uint8Array } {
  const noise = randomBytes(data(salt), w * h);
  const src = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      src[3 * (r * w + c)] = r;
      src[3 * (r * w + c) + 1] = c;
      src[3 * (r * w + c) + 2] = noise[r * w + c]!;
    }
  return { src, noise };
}

/** The documented formula, element by element, in float64. */
function reference(
  src: Uint8Array,
  w: number,
  p: CropParams,
  crop: number,
  shift: readonly number[],
  mean: { image?: Float32Array; channels?: readonly number[] },
  scale: number,
): Float64Array {
  const out = new Float64Array(3 * crop * crop);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < crop; i++)
      for (let j = 0; j < crop; j++) {
        const col = p.x + (p.flip ? crop - 1 - j : j);
        const at = ((p.y + i) * w + col) * 3 + c;
        const m = mean.image ? mean.image[at]! : mean.channels ? mean.channels[c]! : 0;
        out[(c * crop + i) * crop + j] = (src[at]! + shift[c]! - m) * scale;
      }
  return out;
}

/** Asserts out[offset…] ≈ want and every other element of out still NaN. */
function expectWritten(out: Float32Array, offset: number, want: Float64Array, what: string): void {
  for (let k = 0; k < out.length; k++) {
    const v = out[k]!;
    if (k < offset || k >= offset + want.length) {
      if (!Number.isNaN(v))
        expect.fail(`${what}: element ${k} outside the crop was written (${v}) ${replay}`);
      continue;
    }
    const r = want[k - offset]!;
    if (!(Math.abs(v - r) <= 1e-6 * Math.max(1, Math.abs(r))))
      expect.fail(`${what}: element ${k - offset} is ${v}, want ${r} ${replay}`);
  }
}

describe('writeCrop', () => {
  it('copies each output element from the right row, column and channel, mirrored when asked', () => {
    const d = data(100);
    const shapes: [number, number, number][] = [
      [32, 32, 24],
      [37, 29, 17],
      [24, 24, 24],
      [5, 9, 1],
    ];
    for (let t = 0; t < 6; t++) {
      const crop = randomInt(d, 1, 40);
      shapes.push([randomInt(d, crop, 120), randomInt(d, crop, 120), crop]);
    }
    for (const [w, h, crop] of shapes) {
      const { src, noise } = encoded(101 + w, w, h);
      const positions = [
        ...tenCrops(w, h, crop),
        { x: randomInt(d, 0, w - crop), y: randomInt(d, 0, h - crop), flip: true },
      ];
      for (const p of positions) {
        const plane = crop * crop;
        const offset = randomInt(d, 0, 50);
        const out = poisoned(offset + 3 * plane + randomInt(d, 0, 50));
        expect(writeCrop(src, w, h, p, out, offset, { crop })).toBe(offset + 3 * plane);
        for (let i = 0; i < crop; i++)
          for (let j = 0; j < crop; j++) {
            const row = p.y + i;
            const col = p.x + (p.flip ? crop - 1 - j : j);
            const at = offset + i * crop + j;
            const got = [out[at], out[at + plane], out[at + 2 * plane]];
            if (got[0] !== row || got[1] !== col || got[2] !== noise[row * w + col])
              expect.fail(
                `${w}×${h} crop ${crop} at ${JSON.stringify(p)}: output (${i}, ${j}) = ${got}, want row ${row}, column ${col} ${replay}`,
              );
          }
        for (let k = 0; k < out.length; k++)
          if ((k < offset || k >= offset + 3 * plane) && !Number.isNaN(out[k]!))
            expect.fail(`element ${k} outside the crop was written ${replay}`);
      }
    }
  });

  it('adds the lighting shift, subtracts a mean image cropped and mirrored with the image, and scales', () => {
    const d = data(110);
    for (let t = 0; t < 12; t++) {
      const crop = randomInt(d, 1, 48);
      const w = randomInt(d, crop, 64);
      const h = randomInt(d, crop, 64);
      const src = randomBytes(d, w * h * 3);
      const meanImage = d.uniform(w * h * 3, 20, 230);
      const a = drawAugmentation({
        seed: t,
        epoch: 1,
        index: randomInt(d, 0, 1e6),
        srcWidth: w,
        srcHeight: h,
        crop,
      });
      const lighting = { alpha: a.alpha, ...IMAGENET_PCA };
      const shift = lightingShift(a.alpha, IMAGENET_PCA.eigenvalues, IMAGENET_PCA.eigenvectors);
      const scale = t % 2 ? 1 : 0.5 + d.uniform(1)[0]!;
      const offset = randomInt(d, 0, 9);
      const out = poisoned(offset + 3 * crop * crop + 5);
      writeCrop(src, w, h, a, out, offset, {
        crop,
        mean: { width: w, height: h, data: meanImage },
        lighting,
        scale,
      });
      const want = reference(src, w, a, crop, shift, { image: meanImage }, scale);
      expectWritten(out, offset, want, `mean image, ${w}×${h} → ${crop} at ${JSON.stringify(a)}`);
      // the bare Float32Array is the same mean image
      const bare = poisoned(out.length);
      writeCrop(src, w, h, a, bare, offset, { crop, mean: meanImage, lighting, scale });
      expect(bare).toEqual(out);
      // per-channel mean
      const channels = [123.68, 116.78, 103.94] as const;
      const perChannel = poisoned(out.length);
      writeCrop(src, w, h, a, perChannel, offset, { crop, mean: channels, lighting, scale });
      expectWritten(
        perChannel,
        offset,
        reference(src, w, a, crop, shift, { channels }, scale),
        'per-channel mean',
      );
      // nothing but the crop
      const plain = poisoned(out.length);
      writeCrop(src, w, h, a, plain, offset, { crop });
      expectWritten(plain, offset, reference(src, w, a, crop, [0, 0, 0], {}, 1), 'no mean, no lighting');
    }
  });

  it('with the image itself as the mean leaves exactly the lighting shift, for every crop and mirror', () => {
    // If the mean were cropped or mirrored differently from the image, pixels would not cancel.
    const d = data(120);
    const w = 40;
    const h = 33;
    const crop = 30;
    const src = randomBytes(d, w * h * 3);
    const mean = meanImageAccumulator(w, h).add(src).result();
    const alpha = [0.2, -0.1, 0.05] as const;
    const shift = lightingShift(alpha, IMAGENET_PCA.eigenvalues, IMAGENET_PCA.eigenvectors);
    for (const p of [...tenCrops(w, h, crop), { x: 3, y: 1, flip: true }, { x: 7, y: 2, flip: false }]) {
      const out = poisoned(3 * crop * crop);
      writeCrop(src, w, h, p, out, 0, { crop, mean, lighting: { alpha, ...IMAGENET_PCA }, scale: 2 });
      for (let k = 0; k < out.length; k++) {
        const c = Math.floor(k / (crop * crop));
        if (!(Math.abs(out[k]! - 2 * shift[c]!) < 1e-4))
          expect.fail(`${JSON.stringify(p)}: element ${k} = ${out[k]}, want ${2 * shift[c]!}`);
      }
    }
  });

  it('handles the ImageNet case: 256×256 → 224 with a mean image, into slot 3 of a batch', () => {
    const d = data(130);
    const src = randomBytes(d, 256 * 256 * 3);
    const meanImage = d.uniform(256 * 256 * 3, 90, 140);
    const size = 3 * 224 * 224;
    const batch = poisoned(5 * size);
    for (const p of [
      { ...centerCrop(256, 256, 224), flip: false },
      { x: 32, y: 0, flip: true },
    ]) {
      batch.fill(Number.NaN);
      expect(writeCrop(src, 256, 256, p, batch, 3 * size, { mean: meanImage })).toBe(4 * size);
      expectWritten(
        batch,
        3 * size,
        reference(src, 256, p, 224, [0, 0, 0], { image: meanImage }, 1),
        'ImageNet',
      );
    }
  });

  it('names bad arguments', () => {
    const src = randomBytes(data(140), 32 * 32 * 3);
    const out = poisoned(3 * 24 * 24 + 2);
    const p = { x: 0, y: 0, flip: false };
    const o = { crop: 24 };
    expect(() => writeCrop(src, 32, 32, p, out, 0, { crop: 33 })).toThrow(ArgumentError);
    expect(() => writeCrop(src, 32, 32, p, out, 0, { crop: 33 })).toThrow(
      /crop 33 is larger than the 32×32 source/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, 0)).toThrow(/crop 224 is larger than the 32×32 source/);
    expect(() => writeCrop(src.subarray(1), 32, 32, p, out, 0, o)).toThrow(ShapeError);
    expect(() => writeCrop(src.subarray(1), 32, 32, p, out, 0, o)).toThrow(
      /src has 3071 bytes; a 32×32 RGB image \(HWC\) has 32·32·3 = 3072/,
    );
    expect(() => writeCrop(Array.from(src) as never, 32, 32, p, out, 0, o)).toThrow(
      /src must be a Uint8Array/,
    );
    expect(() => writeCrop(src, 32, 32, p, new Float32Array(100), 0, o)).toThrow(
      /out has 100 elements; a 3×24×24 crop needs 1728/,
    );
    expect(() => writeCrop(src, 32, 32, p, new Float64Array(2000) as never, 0, o)).toThrow(
      /out must be a Float32Array/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, 3, o)).toThrow(
      /outOffset must be an integer in \[0, 2\], got 3/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, -1, o)).toThrow(/outOffset .* got -1/);
    expect(() => writeCrop(src, 32, 32, { ...p, x: 9 }, out, 0, o)).toThrow(
      /params.x must be an integer in \[0, 8\], got 9/,
    );
    expect(() => writeCrop(src, 32, 32, { ...p, y: 0.5 }, out, 0, o)).toThrow(/params.y .* got 0.5/);
    expect(() => writeCrop(src, 32, 32, { ...p, flip: 1 as never }, out, 0, o)).toThrow(
      /params.flip must be a boolean, got 1/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, 0, { ...o, scale: Number.NaN })).toThrow(
      /scale must be a finite number, got NaN/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, 0, { ...o, mean: [1, 2] as never })).toThrow(
      /mean must hold 3 numbers, got \[1, 2\]/,
    );
    expect(() => writeCrop(src, 32, 32, p, out, 0, { ...o, mean: new Float32Array(5) })).toThrow(
      /the mean image has 5 values; a 32×32 RGB image has 3072/,
    );
    const wrong = meanImageAccumulator(31, 32)
      .add(new Uint8Array(31 * 32 * 3))
      .result();
    expect(() => writeCrop(src, 32, 32, p, out, 0, { ...o, mean: wrong })).toThrow(
      /the mean image is 31×32 but the source is 32×32/,
    );
    expect(() =>
      writeCrop(src, 32, 32, p, out, 0, { ...o, lighting: { alpha: [0, Number.NaN, 0], ...IMAGENET_PCA } }),
    ).toThrow(/alpha\[1\] must be a finite number, got NaN/);
    expect(() => writeCrop(src, 32, 32, p, out, 0, { ...o, mean: [1, 2, Number.POSITIVE_INFINITY] })).toThrow(
      /mean\[2\] must be a finite number/,
    );
    expect(out.every(Number.isNaN), 'a rejected call writes nothing').toBe(true);
  });
});
