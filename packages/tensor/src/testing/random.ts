/**
 * The seed of this test run: ALEXNET_TEST_SEED when set (to replay a failure), otherwise fresh, so
 * each run draws new inputs. Failure messages print it.
 */
export function runSeed(): number {
  const env = typeof process !== 'undefined' ? process.env.ALEXNET_TEST_SEED : undefined;
  if (env !== undefined && env !== '') {
    const seed = Number(env);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`ALEXNET_TEST_SEED must be a non-negative integer, got '${env}'`);
    return seed;
  }
  const words = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! % 2 ** 15) * 2 ** 32 + words[1]!;
}

/**
 * Random test data: float32 values (so every backend starts from identical inputs) from xoshiro128**,
 * a small fast generator — test inputs for AlexNet's fc6 are 38 M values, too many for Philox in JS.
 * (Philox is for what backends must reproduce: dropout masks.)
 */
export class TestData {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    // splitmix32 expands the seed into the four state words (never all zero).
    let z = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const next = () => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 1;
  }

  /** Next u32 of xoshiro128** (state kept as int32; `>>> 0` makes the result unsigned). */
  private u32(): number {
    const s1x5 = Math.imul(this.s1, 5);
    const result = Math.imul((s1x5 << 7) | (s1x5 >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 24 bits. */
  private unit(): number {
    return (this.u32() >>> 8) * 2 ** -24;
  }

  /** Uniform values in [lo, hi), rounded to float32 (into `out` when given). */
  uniform(length: number, lo = 0, hi = 1, out: Float32Array = new Float32Array(length)): Float32Array {
    const scale = (hi - lo) * 2 ** -24;
    for (let i = 0; i < length; i++) out[i] = lo + scale * (this.u32() >>> 8);
    return out;
  }

  /**
   * Zero-mean values with standard deviation `std` (uniform on ±√3·std: cheaper than Gaussian,
   * and the kernels' correctness does not depend on the distribution's shape). Zero has
   * probability 2⁻²⁴ per element, so outputs are never all zeros.
   */
  random(length: number, std = 1, out?: Float32Array): Float32Array {
    const r = Math.sqrt(3) * std;
    return this.uniform(length, -r, r, out);
  }

  /** Integers in [0, classes), stored as floats (the contract's label format). */
  labels(length: number, classes: number, out: Float32Array = new Float32Array(length)): Float32Array {
    for (let i = 0; i < length; i++) out[i] = Math.min(classes - 1, Math.floor(this.unit() * classes));
    return out;
  }
}
