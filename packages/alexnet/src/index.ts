/**
 * alexnet — the AlexNet paper's 8-layer two-tower network as data (`createAlexNet`), its exact
 * parameter and FLOP counts (`alexnetSummary`), and the `alexnet` CLI. Built on `@alexnet/layers`;
 * runs on any `@alexnet/tensor` device (`@alexnet/native`, `@alexnet/cuda`, the reference backend).
 */

export type { Io } from './cli/command.js';
export { runCli } from './cli/main.js';
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
export { type BuiltinOptions, builtinShapes } from './data/builtin.js';
export { type DataSpec, dataSpecOf, type OpenDataOptions, openData } from './data/open.js';
export { epochOrder } from './data/order.js';
export { drawShape, SHAPE_CLASSES, type ShapeSplit, shapeLabel } from './data/shapes.js';
export type { BatchRequest, CropMode, DataSource, DataSplit, LabelledBatch } from './data/source.js';
export { type DeviceChoice, registerInstalledBackends, selectDevices } from './devices.js';
export {
  CAFFE_ALEXNET_LRN,
  type CaffeAlexNetOptions,
  type CaffeAlexNetWeights,
  type CaffeBlob,
  CaffeImportError,
  type CaffeLayer,
  type CaffeNet,
  caffeAlexNetShapes,
  caffeAlexNetWeights,
  caffeProtoRoot,
  readCaffeModel,
} from './interop/caffe.js';
export {
  computeFeatures,
  type Features,
  featureNode,
  type Neighbour,
  nearestNeighbours,
  readFeatures,
  writeFeatures,
} from './interop/features.js';
export {
  neighboursPng,
  type PredictionPanel,
  predictionsPng,
  type RgbImage,
} from './interop/figure4.js';
export { type FilterGrid, filterGrid, filtersPng } from './interop/filters.js';
export {
  type ExportableModel,
  exportOnnx,
  ONNX_DEFAULT_OPSET,
  ONNX_MAX_OPSET,
  ONNX_MIN_OPSET,
  type OnnxExportOptions,
  onnxFromWeights,
  onnxLrnAttributes,
} from './interop/onnx.js';
// training curves (metrics.jsonl → Vega-Lite → SVG), as `alexnet plot` draws them
export {
  CURVE_SERIES,
  renderSvg,
  summarizeCurves,
  type TrainingCurvesOptions,
  type TrainingCurvesSummary,
  trainingCurvesSpec,
  trainingCurvesSvg,
} from './interop/plot.js';
export {
  alexnetConfigOf,
  type CreateAlexNetOptions,
  createAlexNet,
  DROPOUT_STREAM,
  HE_INPUT_SCALE,
  INIT_SCHEMES,
  type InitScheme,
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
export {
  type CheckpointData,
  CheckpointError,
  latestCheckpoint,
  loadCheckpoint,
  resolveCheckpoint,
  saveCheckpoint,
  writeFileAtomic,
} from './train/checkpoint.js';
export { averageCrops, type EvalOptions, type EvalResult, evaluate } from './train/evaluate.js';
export { type EpochRecord, MetricsLog, type MetricsRecord, type StepRecord } from './train/metrics-log.js';
export { type LoadedModel, loadAlexNet, MODEL_FORMAT, modelMetadata } from './train/model-file.js';
export { canonicalName, canonicalParams, readCanonical, writeCanonical } from './train/params-io.js';
export {
  readSafetensors,
  SafetensorsError,
  type SafetensorsFile,
  writeSafetensors,
} from './train/safetensors.js';
export {
  DivergenceError,
  type StepReport,
  type StopReason,
  type TrainerState,
  type TrainOptions,
  type TrainResult,
  train,
} from './train/trainer.js';
export { VERSION } from './version.js';
