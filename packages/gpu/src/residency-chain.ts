/**
 * A small forward pass used to show that tensors stay on the device (residency.test.ts in Node,
 * scripts/browser in a page): conv (bias) → relu in place → LRN → max-pool → split → relu on each
 * part → concat → copy (flatten) → gemm (x·Wᵀ) → bias in place → softmax. Random data from a seeded generator.
 */
import type { BackendV1, BufferHandle } from '@alexnet/tensor';

/** Parameter buffers uploaded by the chain (conv weight and bias, fc weight and bias). */
export const CHAIN_PARAMETERS = 4;

function random(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/** Runs the chain on `backend`; returns the softmax output and every buffer it allocated. */
export async function runChain(
  backend: BackendV1,
  seed: number,
): Promise<{ out: Float32Array; bufs: BufferHandle[] }> {
  const k = backend.kernels;
  const bufs: BufferHandle[] = [];
  const buf = (length: number, data?: Float32Array) => {
    const b = backend.alloc(length);
    bufs.push(b);
    backend.fill(b, Number.NaN); // poison: every output must be written
    if (data) backend.write(b, data);
    return b;
  };
  const conv = { n: 2, c: 4, h: 13, w: 11, outC: 6, kh: 3, kw: 3, stride: 2, pad: 1, groups: 2 };
  const oh = 7;
  const ow = 6;
  const x = buf(2 * 4 * 13 * 11, random(2 * 4 * 13 * 11, seed));
  const w = buf(6 * 2 * 9, random(6 * 2 * 9, seed + 1));
  const bias = buf(6, random(6, seed + 2));
  const y1 = buf(2 * 6 * oh * ow);
  k.conv2dForward({ x, w, bias, y: y1 }, conv);
  k.relu({ x: y1, y: y1 }, { length: 2 * 6 * oh * ow });
  const lrn = { n: 2, c: 6, h: oh, w: ow, size: 5, alpha: 1e-4, beta: 0.75, k: 2, groups: 1 };
  const y2 = buf(2 * 6 * oh * ow);
  const scale = buf(2 * 6 * oh * ow);
  k.lrnForward({ x: y1, y: y2, scale }, lrn);
  const ph = 3;
  const pw = 2;
  const y3 = buf(2 * 6 * ph * pw);
  k.maxPoolForward({ x: y2, y: y3 }, { n: 2, c: 6, h: oh, w: ow, size: 3, stride: 2, pad: 0 });
  const channels = { n: 2, channels: [2, 4], spatial: ph * pw };
  const partA = buf(2 * 2 * ph * pw);
  const partB = buf(2 * 4 * ph * pw);
  k.splitChannels({ x: y3, outputs: [partA, partB] }, channels);
  k.relu({ x: partA, y: partA }, { length: 2 * 2 * ph * pw });
  k.relu({ x: partB, y: partB }, { length: 2 * 4 * ph * pw });
  const y4 = buf(2 * 6 * ph * pw);
  k.concatChannels({ inputs: [partA, partB], y: y4 }, channels);
  const features = 6 * ph * pw;
  const flat = buf(2 * features); // a flatten: a whole-buffer copy
  backend.copy(y4, flat);
  const fcW = buf(5 * features, random(5 * features, seed + 3));
  const fcB = buf(5, random(5, seed + 4));
  const logits = buf(2 * 5);
  k.gemm(
    { a: flat, b: fcW, c: logits },
    { transA: false, transB: true, m: 2, n: 5, k: features, alpha: 1, beta: 0 },
  );
  k.biasAdd({ x: logits, bias: fcB, y: logits }, { n: 2, c: 5, spatial: 1 });
  const probs = buf(2 * 5);
  k.softmax({ x: logits, y: probs }, { n: 2, classes: 5 });
  return { out: await backend.read(probs), bufs };
}
