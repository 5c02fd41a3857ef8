/**
 * @alexnet/layers — layers with forward/backward on any `@alexnet/tensor` device, the static graph
 * (`Net`) with device placement and cross-device copies, SGD with the paper's rule, learning-rate
 * schedules and the paper's initialisation.
 */
export { GraphError } from './errors.js';
export {
  copyOrAdd,
  type ForwardContext,
  Layer,
  type Param,
  type RandomSlice,
} from './layer.js';
export { Concat, type ConcatConfig } from './layers/concat.js';
export { Conv2d, type Conv2dConfig } from './layers/conv2d.js';
export { Dropout, type DropoutConfig } from './layers/dropout.js';
export type { ActivationConfig } from './layers/elementwise.js';
export { Flatten, type FlattenConfig } from './layers/flatten.js';
export { Linear, type LinearConfig } from './layers/linear.js';
export { LRN, type LRNConfig } from './layers/lrn.js';
export { MaxPool, type MaxPoolConfig } from './layers/max-pool.js';
export { createLayer, LAYER_TYPES, type LayerConfig, type LayerType } from './layers/registry.js';
export { ReLU } from './layers/relu.js';
export { SoftmaxCrossEntropy, type SoftmaxCrossEntropyConfig } from './layers/softmax-cross-entropy.js';
export { Split, type SplitConfig } from './layers/split.js';
export { Tanh } from './layers/tanh.js';
export { topKCorrect, topKError } from './metrics.js';
export {
  type Batch,
  type ForwardOptions,
  type InputSpec,
  type LayerFactory,
  Net,
  type NetSpec,
  type NodeSpec,
  type NodeSummary,
  type RngState,
} from './net/net.js';
export { type InitOptions, initParams, PAPER_BIAS_ONE_LAYERS } from './optim/init.js';
export {
  ConstantSchedule,
  type LearningRateSchedule,
  PlateauSchedule,
  type PlateauScheduleOptions,
  type Progress,
  type ScheduleState,
  StepSchedule,
  type StepScheduleOptions,
  scheduleFromState,
  WarmupSchedule,
} from './optim/schedules.js';
export { Sgd, type SgdOptions, type SgdState } from './optim/sgd.js';
export { Slot } from './slot.js';
export { loadTrainingState, type TrainingState, trainingState } from './state.js';
