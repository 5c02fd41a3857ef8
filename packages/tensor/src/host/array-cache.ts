import type { FloatArray } from '../reference/types.js';

/**
 * Freed arrays kept for reuse, keyed by length: fresh memory costs a page fault per 4 KiB on first
 * touch (measured ~0.4 GB/s on our CI machines, slower than the kernels), so reusing a freed
 * buffer of the same size — as a GPU caching allocator does — makes repeated allocation cheap.
 */
export class ArrayCache<T extends FloatArray> {
  private readonly free = new Map<number, T[]>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get cachedBytes(): number {
    return this.bytes;
  }

  take(length: number): T | undefined {
    const list = this.free.get(length);
    const arr = list?.pop();
    if (arr) this.bytes -= arr.byteLength;
    return arr;
  }

  /** Keeps `arr` for reuse unless that would exceed the cap (then it is left to the GC). */
  give(arr: T): void {
    if (this.bytes + arr.byteLength > this.maxBytes) return;
    const list = this.free.get(arr.length) ?? [];
    if (list.length === 0) this.free.set(arr.length, list);
    list.push(arr);
    this.bytes += arr.byteLength;
  }

  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}
