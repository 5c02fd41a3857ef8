import type { ChannelsAttrs } from '@alexnet/tensor';
import type { KernelVariable } from 'gpu.js';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import type { Transfer } from '../residency.js';

/*
 * Channel concat/split of [n, c, spatial] tensors on [spatial, c, n] views. Concat is one gather
 * kernel whose source is generated for the number of parts (one argument per part); split is one
 * kernel per part, reading its channel range of x.
 */

const total = (a: ChannelsAttrs) => a.channels.reduce((s, c) => s + c, 0);
const key = (a: ChannelsAttrs) => `${a.n}x[${a.channels.join(',')}]x${a.spatial}`;

export function* concatChannels(
  cache: KernelCache,
  inputs: readonly Float32Array[],
  y: Float32Array,
  a: ChannelsAttrs,
): Step {
  const names = a.channels.map((_, i) => `in${i}`);
  let start = 0;
  const branches = a.channels.map((cp, i) => {
    const branch = `if (c >= ${start} && c < ${start + cp}) {
      v = in${i}[this.thread.z][c - ${start}][this.thread.x];
    }`;
    start += cp;
    return branch;
  });
  const out = yield cache.run(
    {
      key: `concatChannels ${key(a)}`,
      source: `function (${names.join(', ')}) {
        const c = this.thread.y;
        let v = 0;
        ${branches.join('\n')}
        return v;
      }`,
      output: [a.spatial, total(a), a.n],
    },
    yield* args(cache, inputs, a),
  );
  yield* cache.residency.store(out, y, 0, a.n * total(a) * a.spatial);
}

export function* splitChannels(
  cache: KernelCache,
  x: Float32Array,
  outputs: readonly Float32Array[],
  a: ChannelsAttrs,
): Step {
  const r = cache.residency;
  let start = 0;
  for (let i = 0; i < a.channels.length; i++) {
    const cp = a.channels[i]!;
    const out = yield cache.run(
      {
        key: `splitChannels ${key(a)} part ${i}`,
        source: `function (x) {
          return x[this.thread.z][this.thread.y + this.constants.START][this.thread.x];
        }`,
        output: [a.spatial, cp, a.n],
        constants: { START: start },
      },
      [yield* r.arg(x, 0, [a.spatial, total(a), a.n])],
    );
    yield* r.store(out, outputs[i]!, 0, a.n * cp * a.spatial);
    start += cp;
  }
}

function* args(
  cache: KernelCache,
  inputs: readonly Float32Array[],
  a: ChannelsAttrs,
): Transfer<KernelVariable[]> {
  const out: KernelVariable[] = [];
  for (const [i, arr] of inputs.entries()) {
    out.push(yield* cache.residency.arg(arr, 0, [a.spatial, a.channels[i]!, a.n]));
  }
  return out;
}
