/**
 * @alexnet/tensor — tensors, devices, the versioned backend contract, the Philox RNG and the
 * reference backend. Backends (`@alexnet/native`, `@alexnet/cuda`, `@alexnet/gpu`) implement
 * `BackendV1`; the conformance kit that tests them is in `@alexnet/tensor/testing`.
 */
export type { BackendV1, CapabilitiesV1, Precision } from './contract/backend.js';
export type { BufferHandle, CopyRegion, MemoryStats } from './contract/buffer.js';
export type {
  AccumulateAttr,
  AxpyAttrs,
  BiasAttrs,
  ChannelsAttrs,
  ConvAttrs,
  DropoutAttrs,
  ElementwiseAttrs,
  GemmAttrs,
  KernelAttrs,
  KernelBufs,
  KernelFn,
  KernelName,
  KernelSignaturesV1,
  KernelTableV1,
  LrnAttrs,
  PoolAttrs,
  SgdAttrs,
  SoftmaxAttrs,
  SoftmaxCrossEntropyAttrs,
} from './contract/kernels.js';
export { KERNEL_NAMES_V1 } from './contract/kernels.js';
export { withValidation } from './contract/table.js';
export { convOutputShape, poolOutputShape, validateKernelCall } from './contract/validate.js';
export { Device } from './device/device.js';
export { type DeviceName, formatDeviceName, parseDeviceName } from './device/name.js';
export {
  type Availability,
  type BackendProvider,
  type DeviceSelection,
  getDevice,
  KNOWN_BACKEND_PACKAGES,
  referenceProvider,
  registerBackend,
  registeredBackends,
  type SelectOptions,
  selectDevice,
} from './device/registry.js';
export { type TransferPath, transfer } from './device/transfer.js';
export { ArgumentError, DeviceError, ShapeError, UnsupportedKernelError } from './errors.js';
export { HostStorage, MAX_HOST_BUFFER_LENGTH } from './host/storage.js';
export { ReferenceBackend, type ReferenceBackendOptions } from './reference/backend.js';
export {
  PhiloxStream,
  philox4x32,
  philoxNormal,
  philoxU32,
  philoxUniform,
  u32ToUniform,
} from './rng/philox.js';
export {
  assertFinite,
  assertInteger,
  assertSameShape,
  assertShape,
  type Shape,
  shapesEqual,
  sizeOf,
  stridesOf,
  windowOutputSize,
} from './shape.js';
export { Tensor } from './tensor.js';
