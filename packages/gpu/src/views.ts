/**
 * Host arrays ↔ gpu.js arguments and results. Every buffer reaches a kernel as a 2-D or 3-D `input()`
 * view, so kernels address elements by small per-dimension coordinates: a flat index above 2^24 is
 * wrong in every float32 mode (fc6's 37.7 M-element weight gave relative error 0.77 with `w[o*I+i]`).
 */
import { Input, type KernelOutput, type OutputDimensions } from 'gpu.js';

/** Row width of the 2-D views of elementwise kernels (a multiple of 4 keeps webasm on its SIMD path). */
export const ROW = 8192;

/**
 * A view of `dims` (innermost first, gpu.js order) over `data` from `offset`. Uses the array in place
 * when it holds every element, else a zero-padded copy (a strided matrix whose last row is short).
 */
export function view(data: Float32Array, offset: number, dims: readonly number[]): Input {
  const size = dims.reduce((a, b) => a * b, 1);
  const end = offset + size;
  let values: Float32Array;
  if (end <= data.length) values = data.subarray(offset, end);
  else {
    values = new Float32Array(size);
    values.set(data.subarray(offset, Math.min(end, data.length)));
  }
  return new Input(values as unknown as number[], dims as unknown as OutputDimensions);
}

/** Rows of `length` elements laid out as [ROW, rows] (one short row when length < ROW). */
export function rowsOf(length: number): { width: number; rows: number } {
  const width = Math.min(length, ROW);
  return { width, rows: Math.ceil(length / width) };
}

/** Calls `visit(row, r)` for every innermost row of a kernel result, rows numbered (z·Y + y). */
export function forEachRow(out: KernelOutput, visit: (row: Float32Array, r: number) => void): void {
  if (out instanceof Float32Array) {
    visit(out, 0);
    return;
  }
  if (!Array.isArray(out)) throw new Error(`gpu.js returned ${typeof out}, not an array`);
  let r = 0;
  for (const item of out as unknown[]) {
    if (item instanceof Float32Array) visit(item, r++);
    else if (Array.isArray(item)) {
      for (const row of item as unknown[]) {
        if (!(row instanceof Float32Array)) throw new Error('gpu.js returned a non-float32 row');
        visit(row, r++);
      }
    } else throw new Error('gpu.js returned a non-float32 result');
  }
}

/** Copies a result's first `length` elements (rows back to back) into `dst` from `offset`. */
export function storeResult(out: KernelOutput, dst: Float32Array, offset: number, length: number): void {
  let at = 0;
  forEachRow(out, (row) => {
    const n = Math.min(row.length, length - at);
    if (n > 0) dst.set(n === row.length ? row : row.subarray(0, n), offset + at);
    at += row.length;
  });
  if (at < length) throw new Error(`gpu.js result has ${at} elements, expected ${length}`);
}
