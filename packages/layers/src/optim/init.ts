import { ArgumentError, PhiloxStream } from '@alexnet/tensor';
import { numberConfig, type Param } from '../layer.js';

/** The layers whose biases the paper initialises to 1 (§5); every other bias starts at 0. */
export const PAPER_BIAS_ONE_LAYERS: readonly string[] = Object.freeze([
  'conv2',
  'conv4',
  'conv5',
  'fc6',
  'fc7',
]);

export interface InitOptions {
  /** A seed, or a stream whose offset advances past the draws (its state can go into a checkpoint). */
  rng: number | PhiloxStream;
  /** Standard deviation of the weights (paper: 0.01) and their mean (0). */
  weightStd?: number;
  weightMean?: number;
  /**
   * Layers whose biases start at `biasValue`: a predicate on the layer name, or names — a name matches
   * that layer and its towers ('conv2' matches 'conv2', 'conv2_1', 'conv2/t0', 'conv2.b', not 'conv20').
   * Default: none.
   */
  biasOne?: readonly string[] | ((layer: string) => boolean);
  /** Value of the marked biases (default 1); the others are 0. */
  biasValue?: number;
}

/** Values drawn and written per chunk (even, so chunked Box–Muller draws equal one big draw). */
const CHUNK = 1 << 20;

function biasMatcher(spec: InitOptions['biasOne']): (layer: string) => boolean {
  if (spec === undefined) return () => false;
  if (typeof spec === 'function') return spec;
  if (!Array.isArray(spec))
    throw new ArgumentError('initParams: biasOne must be an array of layer names or a predicate');
  return (layer) =>
    spec.some(
      (name) => layer === name || (layer.startsWith(name) && /^[^A-Za-z0-9]/.test(layer.slice(name.length))),
    );
}

/**
 * The paper's initialisation (§5): every weight from N(mean, std²) — N(0, 0.01²) by default — drawn
 * from the Philox stream in parameter order (so it is reproducible from the seed, on any backend),
 * biases 1 on the marked layers and 0 elsewhere (biases draw nothing, so marking a layer does not
 * shift the weights' draws). Returns the stream's state after the draws.
 */
export function initParams(params: readonly Param[], options: InitOptions): { seed: number; offset: number } {
  const rng = typeof options.rng === 'number' ? new PhiloxStream(options.rng) : options.rng;
  if (!(rng instanceof PhiloxStream))
    throw new ArgumentError('initParams: rng must be a seed or a PhiloxStream');
  const std = numberConfig('initParams', 'weightStd', options.weightStd ?? 0.01, 0);
  const mean = numberConfig('initParams', 'weightMean', options.weightMean ?? 0);
  const biasValue = numberConfig('initParams', 'biasValue', options.biasValue ?? 1);
  const one = biasMatcher(options.biasOne);
  for (const p of params) {
    const { device, buffer, size } = p.value;
    if (p.role === 'bias') {
      device.backend.fill(buffer, one(p.layer) ? biasValue : 0, 0, size);
      continue;
    }
    for (let at = 0; at < size; at += CHUNK) {
      device.backend.write(buffer, rng.normal(Math.min(CHUNK, size - at), mean, std), at);
    }
  }
  return rng.state();
}
