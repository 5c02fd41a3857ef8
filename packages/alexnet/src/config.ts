/**
 * The network as data: `AlexNetConfig` holds every choice that changes the model (input size,
 * classes, activation, pooling, LRN, towers, dropout, seed) with the paper's values as defaults.
 * A resolved config is plain JSON, so a checkpoint can record exactly which network it holds.
 * Devices are not part of it: where the towers run does not change the model.
 */
import { ArgumentError } from '@alexnet/tensor';

export type Activation = 'relu' | 'tanh';

/**
 * 'tower': LRN within each tower (the window never crosses the tower boundary, as on the paper's two
 * GPUs) with the paper's constants k = 2, n = 5, α = 1e-4 (not divided by n), β = 0.75.
 * 'caffe': Caffe's single-GPU bvlc_alexnet LRN: across all channels, k = 1, α = 1e-4 divided by n —
 * the one to use with weights imported from Caffe.
 */
export type LrnMode = 'tower' | 'caffe';

export interface PoolingConfig {
  /** Window z (paper: 3). */
  size: number;
  /** Stride s (paper: 2); z > s is the paper's overlapping pooling, z = s = 2 the ablation. */
  stride: number;
}

export interface LrnConfig {
  /** Whether LRN follows conv1 and conv2 (paper: yes). */
  enabled: boolean;
  mode: LrnMode;
}

/** Everything that defines the network. Every field has the paper's value as default (`PAPER_CONFIG`). */
export interface AlexNetConfig {
  /** Input height = width: 224 (the paper, with conv1 pad 2) or 227 (Caffe, pad 0); any size ≥ the minimum. */
  input: number;
  /** conv1's zero padding: 2 gives the paper's 55×55 conv1 maps at 224; default 0 when input is 227, else 2. */
  conv1Pad: number;
  /** Output classes (ILSVRC: 1000). */
  classes: number;
  /** Non-linearity after every conv and fc layer but fc8 (paper: ReLU; tanh for the §3.1 ablation). */
  activation: Activation;
  /** Max pooling after conv1, conv2 and conv5. */
  pooling: PoolingConfig;
  /** Local response normalisation after conv1 and conv2. */
  lrn: LrnConfig;
  /**
   * 2: the paper's two towers — each holds half of every layer's kernels; conv2, conv4, conv5 read
   * only their own tower, conv3 and the fc layers read both. 1: one tower with full connectivity
   * (conv2/4/5 read every channel; 62,378,344 parameters).
   */
  towers: 1 | 2;
  /** Dropout probability on fc6 and fc7 (paper: 0.5; inverted dropout, see DIFFERENCES.md). */
  dropout: number;
  /** Seed in [0, 2³²): weights are drawn from Philox stream `seed`, dropout masks from `seed + 2³²`. */
  seed: number;
}

/** A config as users write it: any field may be left out; `lrn: false` / `'caffe'`, partial objects. */
export interface AlexNetConfigInput {
  input?: number;
  conv1Pad?: number;
  classes?: number;
  activation?: Activation;
  pooling?: Partial<PoolingConfig>;
  lrn?: boolean | LrnMode | Partial<LrnConfig>;
  towers?: 1 | 2;
  dropout?: number;
  seed?: number;
}

/** The paper's network (Krizhevsky, Sutskever, Hinton 2012) at 224×224 with conv1 pad 2. */
export const PAPER_CONFIG: Readonly<AlexNetConfig> = Object.freeze({
  input: 224,
  conv1Pad: 2,
  classes: 1000,
  activation: 'relu',
  pooling: Object.freeze({ size: 3, stride: 2 }),
  lrn: Object.freeze({ enabled: true, mode: 'tower' as const }),
  towers: 2,
  dropout: 0.5,
  seed: 0,
}) as Readonly<AlexNetConfig>;

const KEYS: readonly (keyof AlexNetConfig)[] = Object.freeze([
  'input',
  'conv1Pad',
  'classes',
  'activation',
  'pooling',
  'lrn',
  'towers',
  'dropout',
  'seed',
]);

export const ACTIVATIONS: readonly Activation[] = Object.freeze(['relu', 'tanh']);
export const LRN_MODES: readonly LrnMode[] = Object.freeze(['tower', 'caffe']);

/** Largest class count whose indices float32 labels hold exactly (2²⁴). */
export const MAX_CLASSES = 2 ** 24;
const MAX_SEED = 2 ** 32;

/** conv1–conv5 hyper-parameters (the paper's §3.5); conv1's pad comes from the config. */
export const CONV_LAYERS = Object.freeze([
  { name: 'conv1', kernels: 96, kernel: 11, stride: 4, pad: null, reads: 'input', lrn: true, pool: true },
  { name: 'conv2', kernels: 256, kernel: 5, stride: 1, pad: 2, reads: 'own', lrn: true, pool: true },
  { name: 'conv3', kernels: 384, kernel: 3, stride: 1, pad: 1, reads: 'both', lrn: false, pool: false },
  { name: 'conv4', kernels: 384, kernel: 3, stride: 1, pad: 1, reads: 'own', lrn: false, pool: false },
  { name: 'conv5', kernels: 256, kernel: 3, stride: 1, pad: 1, reads: 'own', lrn: false, pool: true },
] as const);

/** fc6–fc7 widths; fc8 has `classes` outputs. */
export const FC_WIDTH = 4096;

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));

function integer(what: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new ArgumentError(`AlexNet config: ${what} must be ${range}, got ${show(value)}`);
  }
  return value;
}

function plainObject(what: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ArgumentError(`AlexNet config: ${what} must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function onlyKeys(what: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`AlexNet config: unknown ${what} '${key}' (known: ${known.join(', ')})`);
    }
  }
}

function resolveLrn(value: AlexNetConfigInput['lrn']): LrnConfig {
  if (value === undefined) return { ...PAPER_CONFIG.lrn };
  if (typeof value === 'boolean') return { enabled: value, mode: PAPER_CONFIG.lrn.mode };
  if (typeof value === 'string') value = { mode: value };
  const o = plainObject("lrn (true, false, 'tower', 'caffe' or { enabled, mode })", value);
  onlyKeys('lrn option', o, ['enabled', 'mode']);
  const enabled = o.enabled ?? true;
  if (typeof enabled !== 'boolean') {
    throw new ArgumentError(`AlexNet config: lrn.enabled must be true or false, got ${show(enabled)}`);
  }
  const mode = o.mode ?? PAPER_CONFIG.lrn.mode;
  if (!LRN_MODES.includes(mode as LrnMode)) {
    throw new ArgumentError(
      `AlexNet config: lrn mode must be ${LRN_MODES.map(show).join(' or ')}, got ${show(mode)}`,
    );
  }
  return { enabled, mode: mode as LrnMode };
}

/**
 * The spatial size after every resizing layer, or the first layer the input does not survive:
 * conv1 → pool1 → conv2 → pool2 → conv3 → conv4 → conv5 → pool5.
 */
export function spatialSizes(
  input: number,
  conv1Pad: number,
  pooling: PoolingConfig,
): { sizes: { name: string; size: number }[]; failed: string | null } {
  const sizes: { name: string; size: number }[] = [];
  let h = input;
  const step = (name: string, window: number, stride: number, pad: number): boolean => {
    const span = h + 2 * pad - window;
    if (span < 0) return false;
    h = Math.floor(span / stride) + 1;
    sizes.push({ name, size: h });
    return true;
  };
  for (const conv of CONV_LAYERS) {
    if (!step(conv.name, conv.kernel, conv.stride, conv.pad ?? conv1Pad)) return { sizes, failed: conv.name };
    const pool = `pool${conv.name.slice(4)}`;
    if (conv.pool && !step(pool, pooling.size, pooling.stride, 0)) return { sizes, failed: pool };
  }
  return { sizes, failed: null };
}

/** The smallest input size the network accepts with this conv1 pad and pooling. */
export function minimumInput(conv1Pad: number, pooling: PoolingConfig): number {
  // every output size is non-decreasing in the input, so the sizes that fit are [minimum, ∞)
  const fits = (input: number) => spatialSizes(input, conv1Pad, pooling).failed === null;
  let hi = 1;
  while (!fits(hi)) hi *= 2;
  let lo = Math.floor(hi / 2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Fills in the paper's defaults and checks every value; throws an `ArgumentError` that names the
 * field, the value and what is allowed. The result is a fresh, frozen, JSON-serialisable config.
 */
export function resolveAlexNetConfig(
  input: AlexNetConfigInput | AlexNetConfig = {},
): Readonly<AlexNetConfig> {
  const o = plainObject('the config', input ?? {}) as AlexNetConfigInput & Record<string, unknown>;
  onlyKeys('option', o, KEYS);

  const towers = o.towers ?? PAPER_CONFIG.towers;
  if (towers !== 1 && towers !== 2) {
    throw new ArgumentError(
      `AlexNet config: towers must be 1 or 2 (the paper's two towers, or one), got ${show(towers)}`,
    );
  }
  const activation = o.activation ?? PAPER_CONFIG.activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new ArgumentError(
      `AlexNet config: unknown activation ${show(activation)} (known: ${ACTIVATIONS.join(', ')})`,
    );
  }
  const classes = integer('classes', o.classes ?? PAPER_CONFIG.classes, 1, MAX_CLASSES);
  const dropout = o.dropout ?? PAPER_CONFIG.dropout;
  if (typeof dropout !== 'number' || !Number.isFinite(dropout) || dropout < 0 || dropout >= 1) {
    throw new ArgumentError(`AlexNet config: dropout must be a probability in [0, 1), got ${show(dropout)}`);
  }
  const seed = integer('seed', o.seed ?? PAPER_CONFIG.seed, 0, MAX_SEED - 1);

  const p = plainObject('pooling ({ size, stride })', o.pooling ?? {});
  onlyKeys('pooling option', p, ['size', 'stride']);
  const pooling: PoolingConfig = {
    size: integer('pooling.size', p.size ?? PAPER_CONFIG.pooling.size, 1),
    stride: integer('pooling.stride', p.stride ?? PAPER_CONFIG.pooling.stride, 1),
  };

  const lrn = resolveLrn(o.lrn);

  const inputSize = integer('input', o.input ?? PAPER_CONFIG.input, 1);
  const conv1Pad = integer('conv1Pad', o.conv1Pad ?? (inputSize === 227 ? 0 : PAPER_CONFIG.conv1Pad), 0, 5);
  const shrink = spatialSizes(inputSize, conv1Pad, pooling);
  if (shrink.failed !== null) {
    const path = [`${inputSize}`, ...shrink.sizes.map((s) => `${s.name} ${s.size}`)].join(' → ');
    throw new ArgumentError(
      `AlexNet config: input ${inputSize} is too small: ${path} → ${shrink.failed} does not fit ` +
        `(conv1 pad ${conv1Pad}, pooling ${pooling.size}/${pooling.stride}); the smallest input is ` +
        `${minimumInput(conv1Pad, pooling)}`,
    );
  }

  return Object.freeze({
    input: inputSize,
    conv1Pad,
    classes,
    activation,
    pooling: Object.freeze(pooling),
    lrn: Object.freeze(lrn),
    towers,
    dropout,
    seed,
  });
}

/** One line: 'input 224 (conv1 pad 2), 1000 classes, relu, pool 3/2, LRN within towers, 2 towers, dropout 0.5, seed 0'. */
export function describeConfig(c: AlexNetConfig): string {
  const lrn = !c.lrn.enabled
    ? 'no LRN'
    : c.lrn.mode === 'caffe'
      ? "Caffe's LRN"
      : c.towers === 2
        ? 'LRN within towers'
        : "the paper's LRN";
  return (
    `input ${c.input} (conv1 pad ${c.conv1Pad}), ${c.classes} classes, ${c.activation}, ` +
    `pool ${c.pooling.size}/${c.pooling.stride}, ${lrn}, ${c.towers} tower${c.towers === 2 ? 's' : ''}, ` +
    `dropout ${c.dropout}, seed ${c.seed}`
  );
}
