/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
 * counter-based generator of Random123, cuRAND and TensorFlow. A counter-based RNG has no hidden
 * state: value j of stream `seed` is a pure function of (seed, j), so every backend — TypeScript,
 * C, CUDA, gpu.js — can draw the same dropout mask in parallel, and an RNG "state" is just a number.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9; // golden ratio
const W1 = 0xbb67ae85; // sqrt(3) - 1

/** High 32 bits of the 64-bit product of two u32 (16-bit limbs keep every partial product exact). */
function mulhi32(a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 0x10000)) >>> 0;
}

/**
 * One Philox4x32-10 block: 4 u32 of output from a 4×u32 counter and a 2×u32 key.
 * Writes into `out` (4 elements) when given, to avoid allocation in hot loops.
 */
export function philox4x32(
  counter: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = counter[0]! >>> 0;
  let c1 = counter[1]! >>> 0;
  let c2 = counter[2]! >>> 0;
  let c3 = counter[3]! >>> 0;
  let k0 = key[0]! >>> 0;
  let k1 = key[1]! >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

const TWO32 = 0x1_0000_0000;

function assertStreamArgs(seed: number, offset: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`Philox seed must be an integer in [0, 2^53), got ${seed}`);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new RangeError(`Philox offset must be an integer in [0, 2^53), got ${offset}`);
}

/**
 * Fills `out` with u32 values offset, offset+1, … of the stream of `seed`. Value j is lane j mod 4
 * of the block with counter [⌊j/4⌋ mod 2³², ⌊j/4⌋ / 2³², 0, 0] and key [seed mod 2³², seed / 2³²].
 */
export function philoxU32(seed: number, offset: number, out: Uint32Array): Uint32Array {
  assertStreamArgs(seed, offset);
  const key = [seed % TWO32, Math.floor(seed / TWO32)];
  const counter = [0, 0, 0, 0];
  const block = new Uint32Array(4);
  let cachedBlock = -1;
  for (let i = 0; i < out.length; i++) {
    const j = offset + i;
    const b = Math.floor(j / 4);
    if (b !== cachedBlock) {
      counter[0] = b % TWO32;
      counter[1] = Math.floor(b / TWO32);
      philox4x32(counter, key, block);
      cachedBlock = b;
    }
    out[i] = block[j % 4]!;
  }
  return out;
}

/** A u32 mapped to [0, 1) with 24 bits, exactly representable in float32: (v >>> 8) · 2⁻²⁴. */
export function u32ToUniform(v: number): number {
  return (v >>> 8) * 2 ** -24;
}

/** Uniforms in [0, 1): element i is u32ToUniform of stream value offset + i. */
export function philoxUniform(seed: number, offset: number, length: number): Float64Array {
  const raw = philoxU32(seed, offset, new Uint32Array(length));
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = u32ToUniform(raw[i]!);
  return out;
}

/**
 * Normal N(mean, std²) samples by Box–Muller: sample 2i and 2i+1 use stream values
 * offset + 2i and offset + 2i + 1 (u1 in (0, 1] so the log is finite). Consumes 2·⌈length/2⌉ values.
 */
export function philoxNormal(seed: number, offset: number, length: number, mean = 0, std = 1): Float64Array {
  const pairs = Math.ceil(length / 2);
  const raw = philoxU32(seed, offset, new Uint32Array(2 * pairs));
  const out = new Float64Array(length);
  for (let p = 0; p < pairs; p++) {
    const u1 = ((raw[2 * p]! >>> 8) + 1) * 2 ** -24;
    const u2 = u32ToUniform(raw[2 * p + 1]!);
    const r = Math.sqrt(-2 * Math.log(u1));
    out[2 * p] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (2 * p + 1 < length) out[2 * p + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * A position in a Philox stream: the whole RNG state is (seed, offset), two integers that a
 * checkpoint can store. Each draw advances the offset by the number of stream values it used.
 */
export class PhiloxStream {
  constructor(
    readonly seed: number,
    public offset = 0,
  ) {
    assertStreamArgs(seed, offset);
  }

  uniform(length: number): Float64Array {
    const out = philoxUniform(this.seed, this.offset, length);
    this.offset += length;
    return out;
  }

  normal(length: number, mean = 0, std = 1): Float64Array {
    const out = philoxNormal(this.seed, this.offset, length, mean, std);
    this.offset += 2 * Math.ceil(length / 2);
    return out;
  }

  /** Reserves `length` stream values (e.g. for a dropout mask drawn on a device) and returns their offset. */
  take(length: number): number {
    const at = this.offset;
    this.offset += length;
    return at;
  }

  state(): { seed: number; offset: number } {
    return { seed: this.seed, offset: this.offset };
  }
}
