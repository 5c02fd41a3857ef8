/**
 * `createAlexNet`: the config (data) and the devices → a `Net` of @alexnet/layers.
 *
 * One device: the paper's two towers as channel groups (conv2/conv4/conv5 with groups 2, LRN within
 * each half), node names as in the paper (conv1 … fc8). Two devices: every layer but fc8 split in
 * two towers, tower t on devices[t] (`conv1_0` on devices[0], `conv1_1` on devices[1], …); conv3,
 * fc6 and fc7 of each tower read a concat of both towers (`concat3_t`, `concat6_t`, `concat7_t`), fc8
 * reads `concat8` on devices[0]; the Net copies values across devices where a tower reads the other.
 * Both layouts hold the same parameters, drawn from the same Philox stream in the same order, so one
 * seed gives the same network on one device or two.
 */
import { initParams, type LayerConfig, Net, type NodeSpec, PAPER_BIAS_ONE_LAYERS } from '@alexnet/layers';
import { ArgumentError, Device, PhiloxStream } from '@alexnet/tensor';
import {
  type AlexNetConfig,
  type AlexNetConfigInput,
  CONV_LAYERS,
  FC_WIDTH,
  resolveAlexNetConfig,
} from './config.js';
import { lrnLayerConfig } from './summary.js';

/** Dropout masks come from Philox stream `seed + DROPOUT_STREAM` (weights from stream `seed`). */
export const DROPOUT_STREAM = 2 ** 32;

/** The paper's initialisation: weights N(0, 0.01²), biases 1 on conv2, conv4, conv5, fc6, fc7, else 0. */
export const PAPER_WEIGHT_STD = 0.01;

/**
 * 'paper': N(0, 0.01²) weights, biases 1 on conv2, conv4, conv5, fc6, fc7 (§5). At this scale the
 * input-dependent part of the signal shrinks layer by layer (measured on the built-in data: the
 * logits of two different images differ by 0.4% of their size at init), so a fresh network first
 * learns the class priors and sits near chance for many steps before the features start to move —
 * as the paper's own ImageNet runs did. 'he': N(0, 2/fan-in) weights (He et al. 2015), biases 0,
 * which keeps the signal's scale through the ReLUs and learns from the first steps; not the
 * paper's, offered for short runs (the quick start) and documented in DIFFERENCES.md.
 */
export const INIT_SCHEMES = ['paper', 'he'] as const;
/** He init assumes unit-variance inputs: mean-subtracted pixels in 0–255 units have a std near 64. */
export const HE_INPUT_SCALE = 1 / 64;
export type InitScheme = (typeof INIT_SCHEMES)[number];

export interface CreateAlexNetOptions {
  /**
   * Where the network runs: one device (both towers there, as channel groups), or [tower 0, tower 1]
   * for the two-tower network (two CUDA GPUs, native:0 + native:1, …). Get them with `selectDevices`.
   */
  devices: Device | readonly Device[];
  /**
   * The initialisation, drawn from `config.seed`: 'paper' (default; also `true`) or 'he'; false
   * leaves every parameter 0 — for loading a checkpoint, or for counting (initialising 61 M weights
   * takes a few seconds).
   */
  init?: boolean | InitScheme;
}

const configs = new WeakMap<Net, Readonly<AlexNetConfig>>();

/** The resolved config a Net was built from by `createAlexNet` (undefined for other nets). */
export function alexnetConfigOf(net: Net): Readonly<AlexNetConfig> | undefined {
  return configs.get(net);
}

function checkDevices(options: CreateAlexNetOptions | undefined, config: AlexNetConfig): Device[] {
  const given = options?.devices;
  if (given === undefined || given === null) {
    throw new ArgumentError(
      "createAlexNet: options.devices is required — a Device, or [tower 0, tower 1]; e.g. (await selectDevices('auto')).devices",
    );
  }
  const list = Array.isArray(given) ? [...(given as readonly Device[])] : [given as Device];
  list.forEach((d, i) => {
    if (!(d instanceof Device) && !(d && typeof d === 'object' && 'kernels' in d && 'backend' in d)) {
      throw new ArgumentError(`createAlexNet: devices[${i}] is not a Device, got ${String(d)}`);
    }
  });
  const distinct = [...new Set(list)];
  if (distinct.length === 0)
    throw new ArgumentError('createAlexNet: devices is empty; give one or two devices');
  const names = distinct.map((d) => d.name).join(', ');
  if (distinct.length > 2) {
    throw new ArgumentError(
      `createAlexNet: AlexNet has at most two towers, so at most two devices, got ${distinct.length} (${names})`,
    );
  }
  if (distinct.length === 2 && config.towers === 1) {
    throw new ArgumentError(
      `createAlexNet: one tower runs on one device, got 2 (${names}); use towers: 2 or one device`,
    );
  }
  if (distinct.length === 2 && config.lrn.enabled && config.lrn.mode === 'caffe') {
    throw new ArgumentError(
      `createAlexNet: lrn mode 'caffe' normalises across both towers' channels, which needs both towers on one device, got 2 (${names}); use lrn mode 'tower' or one device`,
    );
  }
  return distinct;
}

/** The network on one device: two towers as channel groups (or one tower with full connectivity). */
function oneDeviceNodes(config: AlexNetConfig): NodeSpec[] {
  const two = config.towers === 2;
  const act = config.activation;
  const nodes: NodeSpec[] = [];
  let prev = 'data';
  const add = (name: string, layer: LayerConfig, inputs: string[] = [prev]) => {
    nodes.push({ name, layer, inputs });
    prev = name;
  };
  CONV_LAYERS.forEach((conv, i) => {
    const index = i + 1;
    add(conv.name, {
      type: 'conv2d',
      outChannels: conv.kernels,
      kernel: conv.kernel,
      stride: conv.stride,
      pad: conv.pad ?? config.conv1Pad,
      groups: two && conv.reads === 'own' ? 2 : 1,
    });
    add(`${act}${index}`, { type: act });
    if (conv.lrn && config.lrn.enabled)
      add(`lrn${index}`, { type: 'lrn', ...lrnLayerConfig(config, two ? 2 : 1) });
    if (conv.pool) add(`pool${index}`, { type: 'maxPool', ...config.pooling });
  });
  for (const index of [6, 7]) {
    add(`fc${index}`, { type: 'linear', outFeatures: FC_WIDTH });
    add(`${act}${index}`, { type: act });
    add(`drop${index}`, { type: 'dropout', p: config.dropout });
  }
  add('fc8', { type: 'linear', outFeatures: config.classes });
  add('loss', { type: 'softmaxCrossEntropy' }, ['fc8', 'labels']);
  return nodes;
}

/** The two-tower network, tower t on devices[t]; nodes listed layer by layer, tower 0 first. */
function twoDeviceNodes(config: AlexNetConfig, devices: readonly [Device, Device]): NodeSpec[] {
  const act = config.activation;
  const nodes: NodeSpec[] = [];
  let prev: [string, string] = ['data', 'data'];
  /** One node per tower; `inputs(t)` gives tower t's inputs (default: its own previous node). */
  const perTower = (base: string, layer: LayerConfig, inputs = (t: number) => [prev[t]!]) => {
    const names: [string, string] = [`${base}_0`, `${base}_1`];
    for (const t of [0, 1]) nodes.push({ name: names[t]!, layer, inputs: inputs(t), device: devices[t]! });
    prev = names;
  };
  /** Each tower's copy of both towers' values, joined along channels (conv3, fc6, fc7 read it). */
  const bothTowers = (index: number) => {
    const from = prev;
    perTower(`concat${index}`, { type: 'concat' }, () => [...from]);
  };

  CONV_LAYERS.forEach((conv, i) => {
    const index = i + 1;
    if (conv.reads === 'both') bothTowers(index);
    perTower(conv.name, {
      type: 'conv2d',
      outChannels: conv.kernels / 2,
      kernel: conv.kernel,
      stride: conv.stride,
      pad: conv.pad ?? config.conv1Pad,
    });
    perTower(`${act}${index}`, { type: act });
    if (conv.lrn && config.lrn.enabled)
      perTower(`lrn${index}`, { type: 'lrn', ...lrnLayerConfig(config, 1) });
    if (conv.pool) perTower(`pool${index}`, { type: 'maxPool', ...config.pooling });
  });
  for (const index of [6, 7]) {
    bothTowers(index);
    perTower(`fc${index}`, { type: 'linear', outFeatures: FC_WIDTH / 2 });
    perTower(`${act}${index}`, { type: act });
    perTower(`drop${index}`, { type: 'dropout', p: config.dropout });
  }
  nodes.push(
    { name: 'concat8', layer: { type: 'concat' }, inputs: [...prev], device: devices[0] },
    {
      name: 'fc8',
      layer: { type: 'linear', outFeatures: config.classes },
      inputs: ['concat8'],
      device: devices[0],
    },
    { name: 'loss', layer: { type: 'softmaxCrossEntropy' }, inputs: ['fc8', 'labels'], device: devices[0] },
  );
  return nodes;
}

/**
 * Builds the AlexNet the config describes (the paper's by default) on one or two devices, with the
 * paper's initialisation drawn from `config.seed`. Inputs: `data` [3, input, input] (NCHW images)
 * and `labels` [] (class indices as floats); the output `fc8` holds the logits, `loss:probs` the
 * softmax probabilities. Throws an `ArgumentError` naming the bad value for an invalid config.
 */
export function createAlexNet(
  config: AlexNetConfigInput | AlexNetConfig,
  options: CreateAlexNetOptions,
): Net {
  const resolved = resolveAlexNetConfig(config);
  const devices = checkDevices(options, resolved);
  const nodes =
    devices.length === 2 ? twoDeviceNodes(resolved, [devices[0]!, devices[1]!]) : oneDeviceNodes(resolved);
  const net = new Net({
    device: devices[0]!,
    inputs: { data: [3, resolved.input, resolved.input], labels: [] },
    nodes,
    seed: resolved.seed + DROPOUT_STREAM,
  });
  const init = options?.init ?? true;
  if (init === true || init === 'paper') {
    initParams(net.params(), {
      rng: resolved.seed,
      weightStd: PAPER_WEIGHT_STD,
      biasOne: PAPER_BIAS_ONE_LAYERS,
    });
  } else if (init === 'he') {
    // one stream for all parameters, in order, as the paper's init: both layouts draw the same values
    const rng = new PhiloxStream(resolved.seed);
    for (const p of net.params()) {
      const fanIn = p.value.size / p.value.shape[0]!;
      initParams([p], { rng, weightStd: Math.sqrt(2 / fanIn) });
    }
  } else if (init !== false) {
    throw new ArgumentError(
      `createAlexNet: init must be true, false, 'paper' or 'he', got ${JSON.stringify(init)}`,
    );
  }
  configs.set(net, resolved);
  return net;
}
