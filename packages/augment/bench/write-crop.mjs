// Micro-benchmark (not a test; tests never assert times): writeCrop of a 224×224 crop from a
// 256×256 source into a 128-image batch buffer, as the training loader does for every image.
// Shared machines vary a lot: run it a few times and read the best.
// Run after the build: `pnpm --filter @alexnet/augment bench:micro` (or `node bench/write-crop.mjs [iterations]`).
import { drawAugmentation, IMAGENET_PCA, writeCrop } from '../dist/index.js';

const iterations = Number(process.argv[2] ?? 3000);
const S = 256;
const C = 224;
const src = new Uint8Array(S * S * 3);
for (let i = 0; i < src.length; i++) src[i] = (i * 2654435761) >>> 24;
const meanImage = new Float32Array(S * S * 3);
for (let i = 0; i < meanImage.length; i++) meanImage[i] = 100 + (i % 50);
const batchSize = 128;
const size = 3 * C * C;
const batch = new Float32Array(batchSize * size);

function time(name, options) {
  const run = (n) => {
    const start = process.hrtime.bigint();
    for (let index = 0; index < n; index++) {
      const a = drawAugmentation({ seed: 1, epoch: 0, index, srcWidth: S, srcHeight: S, crop: C });
      const lighting = options.lighting ? { alpha: a.alpha, ...IMAGENET_PCA } : null;
      writeCrop(src, S, S, a, batch, (index % batchSize) * size, { crop: C, ...options, lighting });
    }
    return Number(process.hrtime.bigint() - start) / 1e6 / n;
  };
  run(Math.min(500, iterations)); // warm up the JIT
  const ms = Math.min(run(iterations), run(iterations));
  console.log(
    `${name.padEnd(44)} ${ms.toFixed(3)} ms/image  (${Math.round(1000 / ms)} images/s, one thread)`,
  );
  return ms;
}

console.log(`writeCrop ${S}×${S} → ${C}×${C} (CHW float32), draw included, best of 2 × ${iterations} images`);
time('crop + mirror', {});
time('crop + mirror + per-channel mean + lighting', { mean: [123.68, 116.78, 103.94], lighting: true });
time('crop + mirror + mean image + lighting', { mean: meanImage, lighting: true });
time('crop + mirror + mean image + lighting ×1/255', { mean: meanImage, lighting: true, scale: 1 / 255 });
