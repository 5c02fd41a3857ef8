/**
 * AlexNet's layer shapes (Krizhevsky et al. 2012, §3.5 and Figure 2), per image, in network order:
 *
 *   conv1 11×11/4 → relu → LRN → pool 3/2 → conv2 5×5 (2 groups) → relu → LRN → pool 3/2
 *   → conv3 3×3 → relu → conv4 3×3 (2 groups) → relu → conv5 3×3 (2 groups) → relu → pool 3/2
 *   → fc6 → relu → dropout → fc7 → relu → dropout → fc8 → softmax (cross-entropy when training)
 *
 * The paper's 224×224 input only gives conv1 a 55×55 output with pad 2 (or 227×227 with pad 0);
 * both are offered. The two GPU towers are expressed as `groups: 2` (conv2, conv4, conv5 read only
 * their own tower's channels; conv3 and the fc layers read both), and LRN stays inside a tower.
 *
 * `widthDivisor` scales every channel and fc width down (the smoke benchmark uses 8) while keeping
 * the spatial sizes and the graph the same.
 */

/** A convolution without its batch size: `ConvAttrs` of @alexnet/tensor minus `n`. */
export interface ConvShape {
  c: number;
  h: number;
  w: number;
  outC: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  groups: number;
}

export interface PoolShape {
  c: number;
  h: number;
  w: number;
  size: number;
  stride: number;
  pad: number;
}

export interface LrnShape {
  c: number;
  h: number;
  w: number;
  size: number;
  alpha: number;
  beta: number;
  k: number;
  groups: number;
}

export type Layer =
  | { kind: 'conv'; name: string; shape: ConvShape }
  /** y = x·Wᵀ + b with x: [n, in], W: [out, in]. */
  | { kind: 'fc'; name: string; in: number; out: number }
  | { kind: 'relu'; name: string; length: number }
  | { kind: 'lrn'; name: string; shape: LrnShape }
  | { kind: 'pool'; name: string; shape: PoolShape }
  | { kind: 'dropout'; name: string; length: number; p: number }
  | { kind: 'loss'; name: string; classes: number };

export type LayerKind = Layer['kind'];

export interface AlexNetOptions {
  /** Input height = width (default 224). */
  input?: number;
  /** conv1's zero padding (default 2, which turns 224 into a 55×55 conv1 output). */
  conv1Pad?: number;
  /** Divides every channel count and fc width (default 1 = the real network). */
  widthDivisor?: number;
  /** Output classes (default 1000). */
  classes?: number;
}

/** floor((input + 2·pad − window)/stride) + 1, the output size of a convolution or pooling window. */
export function windowOutput(input: number, window: number, stride: number, pad: number): number {
  const span = input + 2 * pad - window;
  if (span < 0) throw new RangeError(`window ${window} does not fit input ${input} with pad ${pad}`);
  return Math.floor(span / stride) + 1;
}

export function convOutput(s: ConvShape): { outH: number; outW: number } {
  return { outH: windowOutput(s.h, s.kh, s.stride, s.pad), outW: windowOutput(s.w, s.kw, s.stride, s.pad) };
}

export function poolOutput(s: PoolShape): { outH: number; outW: number } {
  return {
    outH: windowOutput(s.h, s.size, s.stride, s.pad),
    outW: windowOutput(s.w, s.size, s.stride, s.pad),
  };
}

/** The paper's LRN constants (§3.3): k = 2, n = 5, α = 1e-4, β = 0.75. */
const LRN = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 } as const;
const POOL = { size: 3, stride: 2, pad: 0 } as const;

/** AlexNet's layers in network order (per image; the benchmark supplies the batch size). */
export function alexnetLayers(options: AlexNetOptions = {}): Layer[] {
  const input = options.input ?? 224;
  const conv1Pad = options.conv1Pad ?? 2;
  const div = options.widthDivisor ?? 1;
  const classes = options.classes ?? 1000;
  const width = (channels: number): number => {
    const c = channels / div;
    // Every width must stay a positive even integer: the two towers split it in half.
    if (!Number.isInteger(c) || c < 2 || c % 2 !== 0) {
      throw new RangeError(`widthDivisor ${div} does not divide ${channels} channels into two equal towers`);
    }
    return c;
  };

  const layers: Layer[] = [];
  let c = 3;
  let h = input;
  const conv = (name: string, outC: number, k: number, stride: number, pad: number, groups: number) => {
    const shape: ConvShape = { c, h, w: h, outC: width(outC), kh: k, kw: k, stride, pad, groups };
    layers.push({ kind: 'conv', name, shape });
    c = shape.outC;
    h = convOutput(shape).outH;
    layers.push({ kind: 'relu', name: name.replace('conv', 'relu'), length: c * h * h });
  };
  const lrn = (name: string) => layers.push({ kind: 'lrn', name, shape: { c, h, w: h, ...LRN, groups: 2 } });
  const pool = (name: string) => {
    const shape: PoolShape = { c, h, w: h, ...POOL };
    layers.push({ kind: 'pool', name, shape });
    h = poolOutput(shape).outH;
  };

  conv('conv1', 96, 11, 4, conv1Pad, 1);
  lrn('lrn1');
  pool('pool1');
  conv('conv2', 256, 5, 1, 2, 2);
  lrn('lrn2');
  pool('pool2');
  conv('conv3', 384, 3, 1, 1, 1);
  conv('conv4', 384, 3, 1, 1, 2);
  conv('conv5', 256, 3, 1, 1, 2);
  pool('pool5');

  let features = c * h * h;
  for (const [i, out] of [
    [6, width(4096)],
    [7, width(4096)],
  ] as const) {
    layers.push({ kind: 'fc', name: `fc${i}`, in: features, out });
    layers.push({ kind: 'relu', name: `relu${i}`, length: out });
    layers.push({ kind: 'dropout', name: `drop${i}`, length: out, p: 0.5 });
    features = out;
  }
  layers.push({ kind: 'fc', name: 'fc8', in: features, out: classes });
  layers.push({ kind: 'loss', name: 'loss', classes });
  return layers;
}

/** Human-readable shape of a layer's input → output, per image (e.g. '3×224×224 → 96×55×55'). */
export function describeLayer(layer: Layer): string {
  switch (layer.kind) {
    case 'conv': {
      const s = layer.shape;
      const { outH, outW } = convOutput(s);
      const groups = s.groups > 1 ? ` g${s.groups}` : '';
      return `${s.c}×${s.h}×${s.w} → ${s.outC}×${outH}×${outW} (${s.kh}×${s.kw} s${s.stride} p${s.pad}${groups})`;
    }
    case 'fc':
      return `${layer.in} → ${layer.out}`;
    case 'relu':
    case 'dropout':
      return `${layer.length}`;
    case 'lrn': {
      const s = layer.shape;
      return `${s.c}×${s.h}×${s.w} (size ${s.size}, ${s.groups} groups)`;
    }
    case 'pool': {
      const s = layer.shape;
      const { outH, outW } = poolOutput(s);
      return `${s.c}×${s.h}×${s.w} → ${s.c}×${outH}×${outW} (${s.size}×${s.size} s${s.stride})`;
    }
    case 'loss':
      return `${layer.classes} classes`;
  }
}
