/**
 * PCA lighting (paper §4.1): to every RGB pixel of an image add Σᵢ αᵢ λᵢ pᵢ, where pᵢ and λᵢ are the
 * eigenvectors and eigenvalues of the 3×3 covariance of the training set's RGB pixel values and
 * αᵢ ~ N(0, 0.1²) is drawn once per image per presentation. The shift is the same for every pixel.
 */
import { checkMat3, checkVec3 } from './check.js';

/** Three numbers: an RGB triple, α, or the eigenvalues. */
export type Vec3 = readonly [number, number, number] | ArrayLike<number>;

/**
 * The inputs of the lighting shift. `eigenvectors[i]` is pᵢ as an [r, g, b] triple — the
 * eigenvectors are the rows here (MXNet's and fb.resnet.torch's `eigvec` matrices hold them as
 * columns: pass their transpose). `eigenvalues[i]` is λᵢ, in the units you want the shift in.
 */
export interface PcaBasis {
  eigenvalues: Vec3;
  eigenvectors: readonly Vec3[];
}

/** A basis and this image's coefficients α (from `drawAugmentation`). */
export interface Lighting extends PcaBasis {
  alpha: Vec3;
}

/**
 * The PCA basis that fb.resnet.torch, MXNet and GluonCV use for ImageNet pixels in 0–255 units
 * (λ = [55.46, 4.794, 1.148]; their `eigvec` columns, here as rows). These λ scale linearly with
 * the pixel range — they are in pixel units, like the `stddevs` of `rgbCovarianceAccumulator`,
 * not pixel² — so with α ~ N(0, 0.1²) the largest shift has a standard deviation of 5.5 levels.
 * Use the basis of your own training set (`rgbCovarianceAccumulator`) where you have one.
 */
export const IMAGENET_PCA: {
  eigenvalues: [number, number, number];
  eigenvectors: [number, number, number][];
} = {
  eigenvalues: [55.46, 4.794, 1.148],
  eigenvectors: [
    [-0.5675, -0.5808, -0.5836],
    [0.7192, -0.0045, -0.6948],
    [0.4009, -0.814, 0.4203],
  ],
};

/**
 * The RGB shift Σᵢ αᵢ λᵢ pᵢ = [dr, dg, db]. With α ~ N(0, σ²) independent, the shift has covariance
 * σ² · P diag(λ²) Pᵀ (P's columns are the pᵢ).
 */
export function lightingShift(
  alpha: Vec3,
  eigenvalues: Vec3,
  eigenvectors: readonly Vec3[],
): [number, number, number] {
  const a = checkVec3('alpha', alpha);
  const l = checkVec3('eigenvalues', eigenvalues);
  const p = checkMat3('eigenvectors', eigenvectors);
  const shift: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const w = a[i]! * l[i]!;
    const v = p[i]!;
    shift[0] += w * v[0];
    shift[1] += w * v[1];
    shift[2] += w * v[2];
  }
  return shift;
}
