/**
 * alexnet — the AlexNet paper's 8-layer two-tower network as data (`createAlexNet`), its exact
 * parameter and FLOP counts (`alexnetSummary`), and the `alexnet` CLI. Built on `@alexnet/layers`;
 * runs on any `@alexnet/tensor` device (`@alexnet/native`, `@alexnet/cuda`, the reference backend).
 */
export {
  ACTIVATIONS,
  type Activation,
  type AlexNetConfig,
  type AlexNetConfigInput,
  CONV_LAYERS,
  describeConfig,
  FC_WIDTH,
  LRN_MODES,
  type LrnConfig,
  type LrnMode,
  MAX_CLASSES,
  minimumInput,
  PAPER_CONFIG,
  type PoolingConfig,
  resolveAlexNetConfig,
} from './config.js';
export { type DeviceChoice, registerInstalledBackends, selectDevices } from './devices.js';
export {
  alexnetConfigOf,
  type CreateAlexNetOptions,
  createAlexNet,
  DROPOUT_STREAM,
  PAPER_WEIGHT_STD,
} from './network.js';
export {
  type AlexNetSummary,
  alexnetSummary,
  type LayerKind,
  type LayerSummary,
  paperShape,
  type TowerReads,
} from './summary.js';
export { VERSION } from './version.js';
