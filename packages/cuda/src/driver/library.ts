/**
 * The CUDA driver API (libcuda.so.1 / nvcuda.dll) declared through koffi, loaded lazily on first use.
 * No CUDA toolkit is needed at run time: only the NVIDIA driver. Symbol names are the ones cuda.h
 * (CUDA 13) resolves its macros to (cuMemAlloc → cuMemAlloc_v2, …). Pointers and handles are bigint.
 */
import koffi, { type LibraryHandle } from 'koffi';

type RawFn = ((...args: unknown[]) => unknown) & {
  async: (...args: unknown[]) => void;
};

// Opaque handle types, named as in cuda.h.
koffi.alias('CUresult', 'int');
koffi.alias('CUdevice', 'int');
koffi.alias('CUdeviceptr', 'uint64_t');
for (const [h, s] of [
  ['CUcontext', 'CUctx_st'],
  ['CUmodule', 'CUmod_st'],
  ['CUfunction', 'CUfunc_st'],
  ['CUstream', 'CUstream_st'],
  ['CUevent', 'CUevent_st'],
] as const) {
  koffi.pointer(h, koffi.opaque(s));
}

/** name → C prototype (the symbol is the name in the prototype). */
const PROTOTYPES = {
  cuGetErrorString: 'CUresult cuGetErrorString(CUresult error, _Out_ const char **pStr)',
  cuGetErrorName: 'CUresult cuGetErrorName(CUresult error, _Out_ const char **pStr)',
  cuInit: 'CUresult cuInit(unsigned int flags)',
  cuDriverGetVersion: 'CUresult cuDriverGetVersion(_Out_ int *v)',
  cuDeviceGetCount: 'CUresult cuDeviceGetCount(_Out_ int *count)',
  cuDeviceGet: 'CUresult cuDeviceGet(_Out_ CUdevice *dev, int ordinal)',
  cuDeviceGetName: 'CUresult cuDeviceGetName(_Out_ uint8_t *name, int len, CUdevice dev)',
  cuDeviceTotalMem: 'CUresult cuDeviceTotalMem_v2(_Out_ size_t *bytes, CUdevice dev)',
  cuDeviceGetAttribute: 'CUresult cuDeviceGetAttribute(_Out_ int *pi, int attrib, CUdevice dev)',
  cuDeviceCanAccessPeer:
    'CUresult cuDeviceCanAccessPeer(_Out_ int *canAccessPeer, CUdevice dev, CUdevice peerDev)',
  cuDevicePrimaryCtxRetain: 'CUresult cuDevicePrimaryCtxRetain(_Out_ CUcontext *pctx, CUdevice dev)',
  cuDevicePrimaryCtxRelease: 'CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)',
  cuCtxSetCurrent: 'CUresult cuCtxSetCurrent(CUcontext ctx)',
  cuCtxSynchronize: 'CUresult cuCtxSynchronize()',
  cuCtxEnablePeerAccess: 'CUresult cuCtxEnablePeerAccess(CUcontext peerContext, unsigned int Flags)',
  cuMemGetInfo: 'CUresult cuMemGetInfo_v2(_Out_ size_t *free, _Out_ size_t *total)',
  cuModuleLoadDataEx:
    'CUresult cuModuleLoadDataEx(_Out_ CUmodule *module, const void *image, unsigned int numOptions, const int *options, void *optionValues)',
  cuModuleUnload: 'CUresult cuModuleUnload(CUmodule hmod)',
  cuModuleGetFunction:
    'CUresult cuModuleGetFunction(_Out_ CUfunction *hfunc, CUmodule hmod, const char *name)',
  cuFuncSetAttribute: 'CUresult cuFuncSetAttribute(CUfunction hfunc, int attrib, int value)',
  cuMemAlloc: 'CUresult cuMemAlloc_v2(_Out_ CUdeviceptr *dptr, size_t bytesize)',
  cuMemFree: 'CUresult cuMemFree_v2(CUdeviceptr dptr)',
  cuMemHostAlloc: 'CUresult cuMemHostAlloc(_Out_ void **pp, size_t bytesize, unsigned int Flags)',
  cuMemFreeHost: 'CUresult cuMemFreeHost(void *p)',
  cuMemcpyHtoDAsync:
    'CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, void *srcHost, size_t ByteCount, CUstream hStream)',
  cuMemcpyDtoHAsync:
    'CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)',
  cuMemcpyDtoDAsync:
    'CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)',
  cuMemcpyPeerAsync:
    'CUresult cuMemcpyPeerAsync(CUdeviceptr dstDevice, CUcontext dstContext, CUdeviceptr srcDevice, CUcontext srcContext, size_t ByteCount, CUstream hStream)',
  cuMemsetD32Async:
    'CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream)',
  cuLaunchKernel:
    'CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream, void *kernelParams, void *extra)',
  cuStreamCreate: 'CUresult cuStreamCreate(_Out_ CUstream *phStream, unsigned int Flags)',
  cuStreamDestroy: 'CUresult cuStreamDestroy_v2(CUstream hStream)',
  cuStreamSynchronize: 'CUresult cuStreamSynchronize(CUstream hStream)',
  cuStreamWaitEvent: 'CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags)',
  cuEventCreate: 'CUresult cuEventCreate(_Out_ CUevent *phEvent, unsigned int Flags)',
  cuEventDestroy: 'CUresult cuEventDestroy_v2(CUevent hEvent)',
  cuEventRecord: 'CUresult cuEventRecord(CUevent hEvent, CUstream hStream)',
  cuEventQuery: 'CUresult cuEventQuery(CUevent hEvent)',
  cuEventSynchronize: 'CUresult cuEventSynchronize(CUevent hEvent)',
} as const;

/** cuEventElapsedTime_v2 exists from driver 12.8; older drivers export only v1 (same signature). */
const ELAPSED = ['cuEventElapsedTime_v2', 'cuEventElapsedTime'] as const;
const ELAPSED_PROTO = (symbol: string) =>
  `CUresult ${symbol}(_Out_ float *pMilliseconds, CUevent hStart, CUevent hEnd)`;

export type { RawFn };
export type DriverFunctions = { readonly [K in keyof typeof PROTOTYPES | 'cuEventElapsedTime']: RawFn };

export interface CudaDriver extends DriverFunctions {
  /** The path koffi loaded. */
  readonly path: string;
  /** True when the library is the CPU stub of test/stub (plumbing tests only). */
  readonly isStub: boolean;
}

/** Environment variable naming the driver library explicitly (the test stub is only ever found this way). */
export const LIBRARY_ENV = 'ALEXNET_CUDA_LIBRARY';

export function driverLibraryCandidates(): string[] {
  const explicit = process.env[LIBRARY_ENV];
  if (explicit) return [explicit];
  if (process.platform === 'win32') return ['nvcuda.dll'];
  // WSL2 exposes the driver under /usr/lib/wsl/lib; libcuda.so (no .1) is a toolkit-only symlink.
  return ['libcuda.so.1', '/usr/lib/wsl/lib/libcuda.so.1'];
}

function declare(lib: LibraryHandle, path: string): CudaDriver {
  const fns: Record<string, unknown> = {};
  for (const [name, proto] of Object.entries(PROTOTYPES)) fns[name] = lib.func(proto);
  let elapsed: unknown;
  for (const symbol of ELAPSED) {
    try {
      elapsed = lib.func(ELAPSED_PROTO(symbol));
      break;
    } catch {
      // older driver: try the next symbol
    }
  }
  if (!elapsed) throw new Error(`${path} exports no cuEventElapsedTime`);
  fns.cuEventElapsedTime = elapsed;
  let isStub = false;
  try {
    lib.func('const char *alexnet_cuda_stub_marker(void)');
    isStub = true;
  } catch {
    // a real driver
  }
  return { ...(fns as unknown as DriverFunctions), path, isStub };
}

let loaded: CudaDriver | string | undefined;

/** The driver, or the reason it cannot be loaded (never throws). Loaded once per process. */
export function loadDriver(): CudaDriver | string {
  if (loaded === undefined) loaded = tryLoad();
  return loaded;
}

function tryLoad(): CudaDriver | string {
  const failures: string[] = [];
  for (const path of driverLibraryCandidates()) {
    let lib: LibraryHandle;
    try {
      lib = koffi.load(path);
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
      continue;
    }
    try {
      return declare(lib, path);
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
    }
  }
  return `no NVIDIA driver (libcuda.so.1) found (${failures.join('; ')})`;
}
