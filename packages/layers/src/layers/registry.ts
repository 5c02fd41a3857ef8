import { ArgumentError, type Device, type Shape, ShapeError } from '@alexnet/tensor';
import type { Layer } from '../layer.js';
import { Concat, type ConcatConfig } from './concat.js';
import { Conv2d, type Conv2dConfig } from './conv2d.js';
import { Dropout, type DropoutConfig } from './dropout.js';
import type { ActivationConfig } from './elementwise.js';
import { Flatten, type FlattenConfig } from './flatten.js';
import { Linear, type LinearConfig } from './linear.js';
import { LRN, type LRNConfig } from './lrn.js';
import { MaxPool, type MaxPoolConfig } from './max-pool.js';
import { ReLU } from './relu.js';
import { SoftmaxCrossEntropy, type SoftmaxCrossEntropyConfig } from './softmax-cross-entropy.js';
import { Split, type SplitConfig } from './split.js';
import { Tanh } from './tanh.js';

/** A layer described as data (Caffe's prototxt idea): `{ type: 'conv2d', outChannels: 96, kernel: 11, stride: 4 }`. */
export type LayerConfig =
  | ({ type: 'conv2d' } & Conv2dConfig)
  | ({ type: 'maxPool' } & MaxPoolConfig)
  | ({ type: 'lrn' } & LRNConfig)
  | ({ type: 'relu' } & ActivationConfig)
  | ({ type: 'tanh' } & ActivationConfig)
  | ({ type: 'dropout' } & DropoutConfig)
  | ({ type: 'linear' } & LinearConfig)
  | ({ type: 'flatten' } & FlattenConfig)
  | ({ type: 'concat' } & ConcatConfig)
  | ({ type: 'split' } & SplitConfig)
  | ({ type: 'softmaxCrossEntropy' } & SoftmaxCrossEntropyConfig);

export type LayerType = LayerConfig['type'];

export const LAYER_TYPES: readonly LayerType[] = Object.freeze([
  'conv2d',
  'maxPool',
  'lrn',
  'relu',
  'tanh',
  'dropout',
  'linear',
  'flatten',
  'concat',
  'split',
  'softmaxCrossEntropy',
]);

function one(config: LayerConfig, shapes: readonly Shape[]): Shape {
  if (shapes.length !== 1) {
    throw new ShapeError(
      `${config.type} '${config.name ?? config.type}': takes one input, got ${shapes.length}`,
    );
  }
  return shapes[0]!;
}

/** Builds the layer a config describes, on `device`, for the given per-example input shapes. */
export function createLayer(device: Device, inputShapes: readonly Shape[], config: LayerConfig): Layer {
  switch (config.type) {
    case 'conv2d':
      return new Conv2d(device, one(config, inputShapes), config);
    case 'maxPool':
      return new MaxPool(device, one(config, inputShapes), config);
    case 'lrn':
      return new LRN(device, one(config, inputShapes), config);
    case 'relu':
      return new ReLU(device, one(config, inputShapes), config);
    case 'tanh':
      return new Tanh(device, one(config, inputShapes), config);
    case 'dropout':
      return new Dropout(device, one(config, inputShapes), config);
    case 'linear':
      return new Linear(device, one(config, inputShapes), config);
    case 'flatten':
      return new Flatten(device, one(config, inputShapes), config);
    case 'concat':
      return new Concat(device, inputShapes, config);
    case 'split':
      return new Split(device, one(config, inputShapes), config);
    case 'softmaxCrossEntropy':
      return new SoftmaxCrossEntropy(device, inputShapes, config);
    default: {
      const type = (config as { type?: unknown }).type;
      throw new ArgumentError(`unknown layer type '${String(type)}' (known: ${LAYER_TYPES.join(', ')})`);
    }
  }
}
