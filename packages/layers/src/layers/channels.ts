import { type Shape, ShapeError, sizeOf } from '@alexnet/tensor';
import { showShape } from '../layer.js';

/** Channels (first extent) and spatial size (the rest) of per-example shapes joined along channels. */
export function channelLayout(
  label: string,
  shapes: readonly Shape[],
): { channels: number[]; rest: Shape; spatial: number } {
  const first = shapes[0];
  if (!first) throw new ShapeError(`${label}: needs at least one input`);
  shapes.forEach((s, i) => {
    if (!Array.isArray(s) || s.length < 1 || s.some((d) => !Number.isSafeInteger(d) || d < 1)) {
      throw new ShapeError(
        `${label}: input ${i} must have shape [channels, ...] of positive integers, got ${String(s)}`,
      );
    }
  });
  const rest = first.slice(1);
  shapes.forEach((s, i) => {
    const r = s.slice(1);
    if (r.length !== rest.length || r.some((d, j) => d !== rest[j])) {
      throw new ShapeError(
        `${label}: inputs must agree in every extent but channels; input 0 is ${showShape(first)}, input ${i} is ${showShape(s)}`,
      );
    }
  });
  return { channels: shapes.map((s) => s[0]!), rest, spatial: sizeOf(rest) };
}
