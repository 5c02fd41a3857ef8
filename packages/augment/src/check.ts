/**
 * Argument checks shared by the package. Errors are `@alexnet/tensor`'s: `ArgumentError` for a value
 * out of its domain, `ShapeError` for a buffer whose length does not match the sizes given. Each
 * message names the parameter and shows the value.
 */
import { ArgumentError, ShapeError } from '@alexnet/tensor';

export function show(value: unknown): string {
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  return String(value);
}

/** An integer in [min, max]. */
export function checkInt(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new ArgumentError(`${name} must be ${range}, got ${show(value)}`);
  }
  return value;
}

export function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ArgumentError(`${name} must be a finite number, got ${show(value)}`);
  return value;
}

/** Three finite numbers (an RGB triple, a row of a 3×3 matrix). */
export function checkVec3(name: string, value: unknown): [number, number, number] {
  const v = value as ArrayLike<unknown> | null | undefined;
  if (v === null || v === undefined || typeof v !== 'object' || v.length !== 3)
    throw new ArgumentError(`${name} must hold 3 numbers, got ${show(value)}`);
  for (let i = 0; i < 3; i++) checkFinite(`${name}[${i}]`, v[i]);
  return [v[0] as number, v[1] as number, v[2] as number];
}

/** A 3×3 matrix as three rows of three finite numbers. */
export function checkMat3(name: string, value: unknown): [number, number, number][] {
  const m = value as ArrayLike<unknown> | null | undefined;
  if (m === null || m === undefined || typeof m !== 'object' || m.length !== 3)
    throw new ArgumentError(`${name} must be 3 rows of 3 numbers, got ${show(value)}`);
  return [0, 1, 2].map((i) => checkVec3(`${name}[${i}]`, m[i]));
}

/** Source image sizes and a square crop that fits: 1 ≤ crop ≤ min(width, height). */
export function checkCropSize(srcWidth: unknown, srcHeight: unknown, crop: unknown): void {
  checkInt('srcWidth', srcWidth, 1);
  checkInt('srcHeight', srcHeight, 1);
  checkInt('crop', crop, 1);
  if ((crop as number) > (srcWidth as number) || (crop as number) > (srcHeight as number))
    throw new ArgumentError(
      `crop ${crop} is larger than the ${srcWidth}×${srcHeight} source (width×height); it must be ≤ ${Math.min(srcWidth as number, srcHeight as number)}`,
    );
}

/** An RGB HWC uint8 image of width × height pixels. */
export function checkImage(name: string, image: unknown, width: number, height: number): Uint8Array {
  if (!(image instanceof Uint8Array) && !(image instanceof Uint8ClampedArray))
    throw new ArgumentError(`${name} must be a Uint8Array (RGB, HWC), got ${show(image)}`);
  if (image.length !== width * height * 3)
    throw new ShapeError(
      `${name} has ${image.length} bytes; a ${width}×${height} RGB image (HWC) has ${width}·${height}·3 = ${width * height * 3}`,
    );
  return image as Uint8Array;
}
