/**
 * Dataset statistics the augmentation needs, computed in one streaming pass over the training images:
 * the per-pixel mean image (the paper subtracts "the mean activity over the training set from each
 * pixel") and the 3×3 covariance of RGB pixel values with its eigen-decomposition (PCA lighting).
 * Accumulators take RGB HWC uint8 images one at a time and can be merged (one per worker).
 */
import { ArgumentError } from '@alexnet/tensor';
import { checkImage, checkInt, checkMat3, show } from './check.js';

/** A per-pixel mean image: float32, RGB, HWC, `width` × `height` (values in 0–255 units). */
export interface MeanImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Eigenvalues in descending order; `eigenvectors[i]` (a row) belongs to `eigenvalues[i]`. */
export interface SymmetricEigen {
  eigenvalues: [number, number, number];
  /** Unit eigenvectors as rows, orthonormal, each signed so its largest-magnitude component is positive. */
  eigenvectors: [number, number, number][];
}

/**
 * Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations (float64; converges to
 * machine precision in a handful of sweeps, and stays accurate for repeated eigenvalues).
 * `matrix` is three rows; it must be symmetric to within 1e-9 of its largest element.
 */
export function symmetricEigen3(matrix: readonly ArrayLike<number>[]): SymmetricEigen {
  const rows = checkMat3('matrix', matrix);
  let scale = 0;
  for (const r of rows) for (const v of r) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < 3; i++)
    for (let j = i + 1; j < 3; j++)
      if (Math.abs(rows[i]![j]! - rows[j]![i]!) > 1e-9 * scale)
        throw new ArgumentError(
          `matrix must be symmetric: matrix[${i}][${j}] = ${rows[i]![j]} but matrix[${j}][${i}] = ${rows[j]![i]}`,
        );
  // a: the matrix (symmetrised), v: accumulated rotations (columns become eigenvectors), row-major.
  const a = new Float64Array(9);
  const v = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) a[3 * i + j] = (rows[i]![j]! + rows[j]![i]!) / 2;
  const pairs = [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const;
  for (let sweep = 0; sweep < 64; sweep++) {
    const off = a[1]! ** 2 + a[2]! ** 2 + a[5]! ** 2;
    const diag = a[0]! ** 2 + a[4]! ** 2 + a[8]! ** 2;
    if (off === 0 || off <= 1e-32 * diag) break;
    for (const [p, q] of pairs) {
      const apq = a[3 * p + q]!;
      if (apq === 0) continue;
      // Rotation P (P_pp = P_qq = c, P_pq = s, P_qp = −s) with A' = Pᵀ A P zeroing A'_pq
      // (Numerical Recipes' jacobi): θ = (a_qq − a_pp) / 2a_pq, t = sgn θ / (|θ| + √(θ² + 1)).
      const theta = (a[3 * q + q]! - a[3 * p + p]!) / (2 * apq);
      const t =
        Math.abs(theta) > 1e150
          ? 1 / (2 * theta)
          : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        // columns: A ← A P, V ← V P
        const akp = a[3 * k + p]!;
        const akq = a[3 * k + q]!;
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
        const vkp = v[3 * k + p]!;
        const vkq = v[3 * k + q]!;
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
      for (let k = 0; k < 3; k++) {
        // rows: A ← Pᵀ A
        const apk = a[3 * p + k]!;
        const aqk = a[3 * q + k]!;
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      a[3 * p + q] = 0;
      a[3 * q + p] = 0;
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[4 * j]! - a[4 * i]!);
  const eigenvalues = order.map((i) => a[4 * i]!) as [number, number, number];
  const eigenvectors = order.map((i) => {
    const vec: [number, number, number] = [v[i]!, v[3 + i]!, v[6 + i]!];
    let big = 0;
    for (let k = 1; k < 3; k++) if (Math.abs(vec[k]!) > Math.abs(vec[big]!)) big = k;
    return vec[big]! < 0 ? (vec.map((x) => -x) as [number, number, number]) : vec;
  });
  return { eigenvalues, eigenvectors };
}

/** What `RgbCovarianceAccumulator.result()` returns (all float64, pixel values in 0–255 units). */
export interface RgbStats extends SymmetricEigen {
  /** Pixels seen. */
  count: number;
  /** Mean [r, g, b] over all pixels. */
  mean: [number, number, number];
  /** Population covariance (÷ count) of [r, g, b], three rows. */
  covariance: [number, number, number][];
  /** √eigenvalues: the standard deviation of the pixels along each eigenvector, in 0–255 units. */
  stddevs: [number, number, number];
}

const SHIFT = 128; // sums of (value − 128) keep the products small and exact in float64

/**
 * Streaming 3×3 covariance of RGB values. Sums of (v − 128) and their products are exact integers
 * in float64 up to 2⁵³ (about 5·10¹¹ pixels: ImageNet's 1.28 M training images at 256×256 are
 * 8.4·10¹⁰), so the result does not depend on the order images are added or merged.
 */
export class RgbCovarianceAccumulator {
  private n = 0;
  // s: Σd per channel, then Σ dr·dr, dr·dg, dr·db, dg·dg, dg·db, db·db
  private readonly s = new Float64Array(9);

  /** Pixels added so far. */
  get count(): number {
    return this.n;
  }

  /** Adds every pixel of an RGB (HWC or any pixel order) uint8 image; its length must be a multiple of 3. */
  add(pixels: Uint8Array | Uint8ClampedArray): this {
    if (!(pixels instanceof Uint8Array) && !(pixels instanceof Uint8ClampedArray))
      throw new ArgumentError(`pixels must be a Uint8Array of RGB triples, got ${show(pixels)}`);
    if (pixels.length % 3 !== 0)
      throw new ArgumentError(
        `pixels must hold RGB triples: its length ${pixels.length} is not a multiple of 3`,
      );
    let r = 0;
    let g = 0;
    let b = 0;
    let rr = 0;
    let rg = 0;
    let rb = 0;
    let gg = 0;
    let gb = 0;
    let bb = 0;
    const len = pixels.length;
    for (let i = 0; i < len; i += 3) {
      const dr = pixels[i]! - SHIFT;
      const dg = pixels[i + 1]! - SHIFT;
      const db = pixels[i + 2]! - SHIFT;
      r += dr;
      g += dg;
      b += db;
      rr += dr * dr;
      rg += dr * dg;
      rb += dr * db;
      gg += dg * dg;
      gb += dg * db;
      bb += db * db;
    }
    const s = this.s;
    s[0]! += r;
    s[1]! += g;
    s[2]! += b;
    s[3]! += rr;
    s[4]! += rg;
    s[5]! += rb;
    s[6]! += gg;
    s[7]! += gb;
    s[8]! += bb;
    this.n += len / 3;
    return this;
  }

  /** Adds another accumulator's pixels (e.g. one filled by another worker). */
  merge(other: RgbCovarianceAccumulator): this {
    if (!(other instanceof RgbCovarianceAccumulator))
      throw new ArgumentError(`merge needs an RgbCovarianceAccumulator, got ${show(other)}`);
    for (let i = 0; i < 9; i++) this.s[i]! += other.s[i]!;
    this.n += other.n;
    return this;
  }

  /** Mean, covariance and its eigen-decomposition (eigenvalues descending, eigenvectors as rows). */
  result(): RgbStats {
    if (this.n === 0) throw new ArgumentError('RgbCovarianceAccumulator.result(): no pixels were added');
    const n = this.n;
    const s = this.s;
    const m = [s[0]! / n, s[1]! / n, s[2]! / n];
    const cross = (k: number, i: number, j: number) => s[k]! / n - m[i]! * m[j]!;
    const c01 = cross(4, 0, 1);
    const c02 = cross(5, 0, 2);
    const c12 = cross(7, 1, 2);
    const covariance: [number, number, number][] = [
      [cross(3, 0, 0), c01, c02],
      [c01, cross(6, 1, 1), c12],
      [c02, c12, cross(8, 2, 2)],
    ];
    const eigen = symmetricEigen3(covariance);
    // Rounding can leave a zero eigenvalue (constant or perfectly correlated data) slightly negative.
    const eigenvalues = eigen.eigenvalues.map((l) => Math.max(0, l)) as [number, number, number];
    return {
      count: n,
      mean: [m[0]! + SHIFT, m[1]! + SHIFT, m[2]! + SHIFT],
      covariance,
      eigenvalues,
      eigenvectors: eigen.eigenvectors,
      stddevs: eigenvalues.map(Math.sqrt) as [number, number, number],
    };
  }
}

/** A new, empty RGB covariance accumulator. */
export function rgbCovarianceAccumulator(): RgbCovarianceAccumulator {
  return new RgbCovarianceAccumulator();
}

/**
 * Streaming per-pixel mean of width × height RGB HWC uint8 images: float64 sums (exact integers up
 * to 2⁵³ / 255 ≈ 3.5·10¹³ images), a float32 mean image at the end.
 */
export class MeanImageAccumulator {
  private n = 0;
  private readonly sum: Float64Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    checkInt('width', width, 1);
    checkInt('height', height, 1);
    this.sum = new Float64Array(width * height * 3);
  }

  /** Images added so far. */
  get count(): number {
    return this.n;
  }

  add(image: Uint8Array | Uint8ClampedArray): this {
    checkImage('image', image, this.width, this.height);
    const sum = this.sum;
    for (let i = 0; i < sum.length; i++) sum[i]! += image[i]!;
    this.n++;
    return this;
  }

  /** Adds another accumulator's images (same size). */
  merge(other: MeanImageAccumulator): this {
    if (!(other instanceof MeanImageAccumulator))
      throw new ArgumentError(`merge needs a MeanImageAccumulator, got ${show(other)}`);
    if (other.width !== this.width || other.height !== this.height)
      throw new ArgumentError(
        `merge: accumulator sizes differ (${this.width}×${this.height} and ${other.width}×${other.height})`,
      );
    for (let i = 0; i < this.sum.length; i++) this.sum[i]! += other.sum[i]!;
    this.n += other.n;
    return this;
  }

  /** The mean image (float32 HWC, 0–255 units). */
  result(): MeanImage {
    if (this.n === 0) throw new ArgumentError('MeanImageAccumulator.result(): no images were added');
    const data = new Float32Array(this.sum.length);
    for (let i = 0; i < data.length; i++) data[i] = this.sum[i]! / this.n;
    return { width: this.width, height: this.height, data };
  }
}

/** A new, empty mean-image accumulator for width × height RGB images. */
export function meanImageAccumulator(width: number, height: number): MeanImageAccumulator {
  return new MeanImageAccumulator(width, height);
}

/** The per-channel mean [r, g, b] of a mean image (the mean of its pixels, in float64). */
export function channelMean(mean: MeanImage): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  const pixels = mean.width * mean.height;
  for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) out[c]! += mean.data[3 * i + c]!;
  return out.map((v) => v / pixels) as [number, number, number];
}
