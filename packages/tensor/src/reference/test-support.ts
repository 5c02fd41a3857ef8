/**
 * Helpers shared by the reference kernels' tests (not part of the published package: nothing in
 * src/index.ts imports this file). Buffers can carry a tail of sentinel values past the tensor, which
 * `readOut` checks, so a kernel that writes beyond its output fails.
 */
import { expect } from 'vitest';
import type { BufferHandle } from '../contract/buffer.js';
import { ReferenceBackend } from './backend.js';

export const ref64 = new ReferenceBackend({ precision: 'float64' });
export const ref32 = new ReferenceBackend({ precision: 'float32' });

export const SENTINEL = 12345.5;
/** Sentinel elements after the tensor in the padded buffers. */
export const SPARE = 3;

/** A buffer holding `data`, followed by `spare` sentinels. */
export function upload(be: ReferenceBackend, data: ArrayLike<number>, spare = 0): BufferHandle {
  const b = be.alloc(data.length + spare);
  be.fill(b, SENTINEL);
  be.write(b, Float64Array.from(data));
  return b;
}

/** An output buffer: `length` NaNs (so unwritten elements show), followed by `spare` sentinels. */
export function poisoned(be: ReferenceBackend, length: number, spare = 0): BufferHandle {
  const b = be.alloc(length + spare);
  be.fill(b, SENTINEL);
  be.fill(b, Number.NaN, 0, length);
  return b;
}

/** The same with SPARE sentinels, for tests that check kernels stay inside their tensors. */
export const uploadPadded = (be: ReferenceBackend, data: ArrayLike<number>) => upload(be, data, SPARE);
export const poisonedPadded = (be: ReferenceBackend, length: number) => poisoned(be, length, SPARE);

/** Reads the leading `length` elements, after checking every element past them is still a sentinel. */
export function readOut(be: ReferenceBackend, b: BufferHandle, length: number): Float64Array {
  const all = be.readFloat64(b);
  expect(Array.from(all.subarray(length)), 'elements past the tensor were written').toEqual(
    new Array<number>(all.length - length).fill(SENTINEL),
  );
  return all.slice(0, length);
}

/**
 * Element-wise |got − want| ≤ tol·max(1, |want|); a non-finite result fails unless the expected
 * value is NaN too (a naive formula that propagates NaN on purpose).
 */
export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (!Number.isFinite(g)) throw new Error(`${what}: element ${i} is ${g}, expected ${w} (unwritten?)`);
    const e = Math.abs(g - w) / Math.max(1, Math.abs(w));
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `${what}: worst error at ${at}: got ${got[at]}, expected ${want[at]}`).toBeLessThanOrEqual(
    tol,
  );
}
