import type { ChannelsAttrs } from '../contract/kernels.js';
import type { FloatArray } from './types.js';

/**
 * Calls `visit(part, partIndex, wholeIndex)` for every element: part `part` holds channels
 * [start, start + channels[part]) of the whole tensor, per example.
 */
function forEachChannelElement(
  a: ChannelsAttrs,
  visit: (part: number, pi: number, wi: number) => void,
): void {
  const total = a.channels.reduce((s, c) => s + c, 0);
  for (let n = 0; n < a.n; n++) {
    let start = 0;
    a.channels.forEach((cp, part) => {
      for (let c = 0; c < cp; c++) {
        for (let s = 0; s < a.spatial; s++) {
          visit(part, (n * cp + c) * a.spatial + s, (n * total + start + c) * a.spatial + s);
        }
      }
      start += cp;
    });
  }
}

export function concatChannels(inputs: readonly FloatArray[], y: FloatArray, a: ChannelsAttrs): void {
  forEachChannelElement(a, (part, pi, wi) => {
    y[wi] = inputs[part]![pi]!;
  });
}

export function splitChannels(x: FloatArray, outputs: readonly FloatArray[], a: ChannelsAttrs): void {
  forEachChannelElement(a, (part, pi, wi) => {
    outputs[part]![pi] = x[wi]!;
  });
}
