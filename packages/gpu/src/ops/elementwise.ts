import type { AxpyAttrs, DropoutAttrs, ElementwiseAttrs, SgdAttrs } from '@alexnet/tensor';
import { philoxU32 } from '@alexnet/tensor';
import type { KernelVariable } from 'gpu.js';
import type { Step } from '../drive.js';
import type { KernelCache } from '../kernel-cache.js';
import { rowsOf } from '../views.js';

/*
 * Elementwise kernels on [ROW, rows] views: element (r, i) is `name[this.thread.y][this.thread.x]`,
 * never a flat index (sgdUpdate runs over fc6's 37.7 M weights). `$name` in an expression stands for
 * that element of argument `name`. When an input is on the device, the kernel takes that input's
 * layout instead (e.g. a convolution's [w, h, n·c]), so relu after conv reads conv's result in place.
 */

const INDEX = [
  '[this.thread.x]',
  '[this.thread.y][this.thread.x]',
  '[this.thread.z][this.thread.y][this.thread.x]',
];

/** Runs `expr` over `length` elements of the named arrays (and scalar arguments), writing into `dst`. */
function* map(
  cache: KernelCache,
  name: string,
  length: number,
  arrays: Record<string, Float32Array>,
  scalars: Record<string, number>,
  expr: string,
  dst: Float32Array,
): Step {
  const r = cache.residency;
  const { width, rows } = rowsOf(length);
  const dims = r.layoutOf(Object.values(arrays), length) ?? [width, rows];
  const at = INDEX[dims.length - 1]!;
  const names = [...Object.keys(arrays), ...Object.keys(scalars)];
  const body = expr.replace(/\$([a-zA-Z]+)/g, (_, v: string) => `${v}${at}`);
  const args: KernelVariable[] = [];
  for (const arr of Object.values(arrays)) args.push(yield* r.arg(arr, 0, dims));
  args.push(...Object.values(scalars));
  const out = yield cache.run(
    {
      key: `${name} ${dims.join('x')}`,
      source: `function (${names.join(', ')}) {\n  return ${body};\n}`,
      output: dims,
    },
    args,
  );
  yield* r.store(out, dst, 0, length);
}

type Grad = ElementwiseAttrs & { accumulate: boolean };

/** `expr` or, when accumulating, dx + expr (dx read before it is overwritten). */
function* grad(
  cache: KernelCache,
  name: string,
  a: Grad,
  arrays: Record<string, Float32Array>,
  expr: string,
  dx: Float32Array,
): Step {
  if (a.accumulate)
    yield* map(cache, `${name} acc`, a.length, { ...arrays, prev: dx }, {}, `$prev + ${expr}`, dx);
  else yield* map(cache, name, a.length, arrays, {}, expr, dx);
}

export function* relu(cache: KernelCache, x: Float32Array, y: Float32Array, a: ElementwiseAttrs): Step {
  yield* map(cache, 'relu', a.length, { x }, {}, 'Math.max(0, $x)', y);
}

export function* reluBackward(
  cache: KernelCache,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  a: Grad,
): Step {
  yield* grad(cache, 'reluBackward', a, { y, dy }, '($y > 0 ? $dy : 0)', dx);
}

export function* tanh(cache: KernelCache, x: Float32Array, y: Float32Array, a: ElementwiseAttrs): Step {
  yield* map(cache, 'tanh', a.length, { x }, {}, 'Math.tanh($x)', y);
}

export function* tanhBackward(
  cache: KernelCache,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  a: Grad,
): Step {
  yield* grad(cache, 'tanhBackward', a, { y, dy }, '$dy * (1 - $y * $y)', dx);
}

/**
 * mask_i = [u_i ≥ p]/(1 − p) with u_i from the shared Philox stream (seed, offset + i). The stream is
 * drawn on the host with @alexnet/tensor's philoxU32 — Philox needs exact 32-bit integer multiplies,
 * which float32 shader arithmetic cannot do — and uploaded as the 24-bit integers v >>> 8 (exact in
 * float32). u ≥ p ⇔ v >>> 8 ≥ ceil(p·2^24), so the kernel's comparison is exact and the mask is the
 * reference's bit for bit.
 */
export function* dropoutForward(
  cache: KernelCache,
  x: Float32Array,
  y: Float32Array,
  mask: Float32Array,
  a: DropoutAttrs,
): Step {
  const raw = philoxU32(a.seed, a.offset, new Uint32Array(a.length));
  const u24 = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) u24[i] = raw[i]! >>> 8;
  const scalars = { threshold: Math.ceil(a.p * 2 ** 24), keep: 1 / (1 - a.p) };
  const m = '($u >= threshold ? keep : 0)';
  // x is copied on the host when it aliases an output (the mask kernel would overwrite it first).
  if (x === y || x === mask) yield* cache.residency.toHost(x, 'dropoutForward: x aliases an output');
  const xCopy = x === y || x === mask ? x.slice(0, a.length) : x;
  cache.residency.transient(u24, xCopy === x ? u24 : xCopy);
  yield* map(cache, 'dropoutMask', a.length, { u: u24 }, scalars, m, mask);
  yield* map(cache, 'dropoutApply', a.length, { x: xCopy, u: u24 }, scalars, `$x * ${m}`, y);
}

export function* dropoutBackward(
  cache: KernelCache,
  dy: Float32Array,
  mask: Float32Array,
  dx: Float32Array,
  a: Grad,
): Step {
  yield* grad(cache, 'dropoutBackward', a, { dy, mask }, '$dy * $mask', dx);
}

/** v ← momentum·v − weightDecay·lr·w − lr·grad ; w ← w + v. Both kernels read the old w and v. */
export function* sgdUpdate(
  cache: KernelCache,
  w: Float32Array,
  g: Float32Array,
  v: Float32Array,
  a: SgdAttrs,
): Step {
  const scalars = { lr: a.lr, momentum: a.momentum, decay: a.weightDecay };
  const vNew = 'momentum * $v - decay * lr * $w - lr * $g';
  // Both kernels read the old w and v: they are copied on the host first.
  yield* cache.residency.toHost(w, 'sgdUpdate: w read by both kernels');
  yield* cache.residency.toHost(v, 'sgdUpdate: v read by both kernels');
  const wOld = w.slice(0, a.length); // the v kernel must see w before the w kernel's result lands
  const vOld = v.slice(0, a.length);
  cache.residency.transient(wOld, vOld);
  yield* map(cache, 'sgdW', a.length, { w: wOld, g, v: vOld }, scalars, `$w + (${vNew})`, w);
  yield* map(cache, 'sgdV', a.length, { w: wOld, g, v: vOld }, scalars, vNew, v);
}

export function* axpy(cache: KernelCache, x: Float32Array, y: Float32Array, a: AxpyAttrs): Step {
  yield* map(cache, 'axpy', a.length, { x, y }, { alpha: a.alpha }, '$y + alpha * $x', y);
}
