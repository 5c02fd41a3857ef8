import { ArgumentError, ShapeError, show } from './errors.js';

/** A tensor shape: non-negative integer extents, outermost first (NCHW for images). */
export type Shape = readonly number[];

/** Throws unless every extent is a non-negative safe integer. */
export function assertShape(shape: Shape, what = 'shape'): void {
  if (!Array.isArray(shape)) throw new ShapeError(`${what} must be an array of integers, got ${show(shape)}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${what} ${show(shape)} has an invalid extent ${show(d)} (need integers >= 0)`);
    }
  }
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: Shape): number {
  assertShape(shape);
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides of a contiguous tensor. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws a ShapeError naming both shapes unless they are equal. */
export function assertSameShape(a: Shape, b: Shape, what: string): void {
  if (!shapesEqual(a, b)) throw new ShapeError(`${what}: shapes differ, ${show(a)} vs ${show(b)}`);
}

/**
 * Output extent of a sliding window (convolution or pooling) with floor rounding, as PyTorch and
 * cuDNN do: floor((in + 2·pad − window) / stride) + 1. Caffe's pooling rounds up instead; for
 * AlexNet's shapes (55→27, 27→13, 13→6) both agree.
 */
export function windowOutputSize(input: number, window: number, stride: number, pad: number): number {
  const span = input + 2 * pad - window;
  if (span < 0) {
    throw new ShapeError(
      `window ${window} does not fit input ${input} with pad ${pad} (input + 2·pad = ${input + 2 * pad})`,
    );
  }
  return Math.floor(span / stride) + 1;
}

/** Throws an ArgumentError unless `value` is a finite number. */
export function assertFinite(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${what} must be a finite number, got ${show(value)}`);
  }
}

/** Throws an ArgumentError unless `value` is an integer >= min. */
export function assertInteger(value: number, what: string, min = 0): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ArgumentError(`${what} must be an integer >= ${min}, got ${show(value)}`);
  }
}
