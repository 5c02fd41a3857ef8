import type { FloatArray } from './types.js';

/** Stores a freshly computed gradient: out = g, or out += g when accumulating. */
export function store(out: FloatArray, g: ArrayLike<number>, length: number, accumulate: boolean): void {
  if (accumulate) for (let i = 0; i < length; i++) out[i] = out[i]! + g[i]!;
  else for (let i = 0; i < length; i++) out[i] = g[i]!;
}
