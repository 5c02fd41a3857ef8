// A CPU stand-in for libcuda.so.1, for testing the koffi plumbing of @alexnet/cuda without a GPU.
// It proves the FFI route only: a kernel counts as working when it has passed the conformance
// suite on a real GPU.
// - Includes the real <cuda.h>, so every exported symbol must match the CUDA 13 prototypes exactly
//   (a mismatch is a compile error).
// - "Device memory" is host memory; every call runs synchronously on the calling thread.
// - cuModuleLoadData accepts any image; cuModuleGetFunction knows the functions of the kernel
//   emulator (build/libalexnet_emu.so, the package's CUDA C compiled for the CPU), and
//   cuLaunchKernel forwards to alexnet_emu_launch with kernelParams exactly as the driver gets them.
// - cuEventQuery answers CUDA_ERROR_NOT_READY for the first STUB_EVENT_DELAY queries after a record
//   (default 2), so callers' polling loops are exercised.
// - STUB_UNEMULATED_FUNCTIONS=a,b_* names functions the fatbin has but the emulator cannot run (the
//   TF32 tensor-core GEMMs): cuModuleGetFunction resolves them, cuLaunchKernel answers
//   CUDA_ERROR_NOT_SUPPORTED. Any other unknown name is CUDA_ERROR_NOT_FOUND, as with the driver.
// - STUB_MEM_LIMIT=bytes makes cuMemAlloc fail with CUDA_ERROR_OUT_OF_MEMORY beyond that many live
//   bytes; STUB_DEVICES=n sets the device count (default 1); STUB_LOG=1 logs every call to stderr.
#include <cuda.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

// ---- bookkeeping -------------------------------------------------------------
static bool env_flag(const char* n) { return getenv(n) && atoi(getenv(n)); }
static long env_long(const char* n, long d) { return getenv(n) ? atol(getenv(n)) : d; }
static bool g_log = env_flag("STUB_LOG");
static int g_ndev = (int)env_long("STUB_DEVICES", 1);
static int g_event_delay = (int)env_long("STUB_EVENT_DELAY", 2);
static size_t g_mem_limit = (size_t)env_long("STUB_MEM_LIMIT", 0);
static bool g_init = false;
static std::mutex g_mu;
static std::map<uintptr_t, size_t> g_allocs;
static size_t g_live_bytes = 0;

static void logf(const char* fmt, ...) {
  if (!g_log) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[stub libcuda] ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

struct CUctx_st { int dev; std::set<int> peers; };
struct CUmod_st { int dummy; };
struct CUfunc_st { std::string name; bool emulated; };
struct CUstream_st { unsigned flags; };
struct CUevent_st { double t; bool recorded; int pending; };

static CUctx_st g_primary[16];
static int g_primary_refs[16];
static thread_local CUctx_st* t_ctx = nullptr;

#define NEED_INIT() do { if (!g_init) return CUDA_ERROR_NOT_INITIALIZED; } while (0)
#define NEED_CTX()  do { NEED_INIT(); if (!t_ctx) return CUDA_ERROR_INVALID_CONTEXT; } while (0)
#define CHECK_DEV(d) do { if ((d) < 0 || (d) >= g_ndev) return CUDA_ERROR_INVALID_DEVICE; } while (0)

static double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// ---- the kernel emulator (loaded on first use) ------------------------------------------
typedef int (*emu_launch_fn)(const char*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, void**);
typedef const char* (*emu_names_fn)(void);
static emu_launch_fn g_emu_launch = nullptr;
static std::set<std::string> g_emu_names;
static std::string g_emu_error;

static bool load_emu() {
  if (g_emu_launch) return true;
  std::string path;
  if (getenv("ALEXNET_EMU_LIBRARY")) {
    path = getenv("ALEXNET_EMU_LIBRARY");
  } else {
    // Default: build/libalexnet_emu.so beside build/stub/ (where this library lives).
    Dl_info info;
    if (dladdr((void*)&load_emu, &info) && info.dli_fname) {
      std::string self = info.dli_fname;
      std::string dir = self.substr(0, self.find_last_of('/'));
      path = dir + "/../libalexnet_emu.so";
    }
  }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) { g_emu_error = std::string("cannot load the kernel emulator: ") + dlerror(); return false; }
  g_emu_launch = (emu_launch_fn)dlsym(h, "alexnet_emu_launch");
  auto names = (emu_names_fn)dlsym(h, "alexnet_emu_kernel_names");
  if (!g_emu_launch || !names) { g_emu_error = "the kernel emulator lacks alexnet_emu_launch/alexnet_emu_kernel_names"; g_emu_launch = nullptr; return false; }
  // The names come as one string separated by commas, spaces or newlines.
  std::string all = names();
  for (char& c : all) if (c == ',' || c == ';' || c == '\n' || c == '\t') c = ' ';
  std::istringstream in(all);
  for (std::string n; in >> n;) g_emu_names.insert(n);
  logf("kernel emulator %s: %zu functions", path.c_str(), g_emu_names.size());
  return true;
}

extern "C" {

// Lets a caller tell this stub from a real driver (the real-GPU tests refuse to run on it).
const char* alexnet_cuda_stub_marker(void) { return "stub libcuda.so.1 (CPU emulation)"; }

CUresult cuGetErrorString(CUresult e, const char** p) {
  static const std::map<int, const char*> m = {
      {CUDA_SUCCESS, "no error"},
      {CUDA_ERROR_INVALID_VALUE, "invalid argument"},
      {CUDA_ERROR_OUT_OF_MEMORY, "out of memory"},
      {CUDA_ERROR_NOT_INITIALIZED, "initialization error"},
      {CUDA_ERROR_NO_DEVICE, "no CUDA-capable device is detected"},
      {CUDA_ERROR_INVALID_DEVICE, "invalid device ordinal"},
      {CUDA_ERROR_INVALID_IMAGE, "device kernel image is invalid"},
      {CUDA_ERROR_INVALID_CONTEXT, "invalid device context"},
      {CUDA_ERROR_FILE_NOT_FOUND, "file not found"},
      {CUDA_ERROR_NOT_FOUND, "named symbol not found"},
      {CUDA_ERROR_NOT_READY, "device not ready"},
      {CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED, "peer access is already enabled"},
      {CUDA_ERROR_LAUNCH_FAILED, "unspecified launch failure"},
      {CUDA_ERROR_INVALID_HANDLE, "invalid resource handle"},
      {CUDA_ERROR_NOT_SUPPORTED, "operation not supported"},
  };
  auto it = m.find(e);
  if (it == m.end()) { *p = nullptr; return CUDA_ERROR_INVALID_VALUE; }
  *p = it->second;
  return CUDA_SUCCESS;
}
CUresult cuGetErrorName(CUresult e, const char** p) {
  static const std::map<int, const char*> m = {
#define N(x) {x, #x}
      N(CUDA_SUCCESS), N(CUDA_ERROR_INVALID_VALUE), N(CUDA_ERROR_OUT_OF_MEMORY), N(CUDA_ERROR_NOT_INITIALIZED),
      N(CUDA_ERROR_NO_DEVICE), N(CUDA_ERROR_INVALID_DEVICE), N(CUDA_ERROR_INVALID_IMAGE),
      N(CUDA_ERROR_INVALID_CONTEXT), N(CUDA_ERROR_FILE_NOT_FOUND), N(CUDA_ERROR_NOT_FOUND),
      N(CUDA_ERROR_NOT_READY), N(CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED), N(CUDA_ERROR_LAUNCH_FAILED),
      N(CUDA_ERROR_INVALID_HANDLE), N(CUDA_ERROR_NOT_SUPPORTED),
#undef N
  };
  auto it = m.find(e);
  if (it == m.end()) { *p = nullptr; return CUDA_ERROR_INVALID_VALUE; }
  *p = it->second;
  return CUDA_SUCCESS;
}

CUresult cuInit(unsigned int flags) {
  logf("cuInit(%u)", flags);
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  g_init = true;
  return CUDA_SUCCESS;
}
CUresult cuDriverGetVersion(int* v) { *v = 13000; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int* n) { NEED_INIT(); *n = g_ndev; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice* d, int ordinal) { NEED_INIT(); CHECK_DEV(ordinal); *d = ordinal; return CUDA_SUCCESS; }
CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  NEED_INIT(); CHECK_DEV(dev);
  snprintf(name, len, "Stub GPU %d (CPU emulation)", dev);
  return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  NEED_INIT(); CHECK_DEV(dev);
  *bytes = g_mem_limit ? g_mem_limit : (size_t)16 << 30;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute a, CUdevice dev) {
  NEED_INIT(); CHECK_DEV(dev);
  switch (a) {
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 9; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; break;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *pi = 4; break;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; break;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *pi = 232448; break;
    default: *pi = 0;
  }
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  NEED_INIT(); CHECK_DEV(dev);
  g_primary[dev].dev = dev;
  g_primary_refs[dev]++;
  *pctx = &g_primary[dev];
  logf("cuDevicePrimaryCtxRetain(dev=%d) refs=%d", dev, g_primary_refs[dev]);
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  NEED_INIT(); CHECK_DEV(dev);
  if (g_primary_refs[dev] <= 0) return CUDA_ERROR_INVALID_CONTEXT;
  g_primary_refs[dev]--;
  logf("cuDevicePrimaryCtxRelease(dev=%d) refs=%d", dev, g_primary_refs[dev]);
  return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext ctx) { NEED_INIT(); t_ctx = ctx; return CUDA_SUCCESS; }
CUresult cuCtxGetCurrent(CUcontext* ctx) { NEED_INIT(); *ctx = t_ctx; return CUDA_SUCCESS; }
CUresult cuCtxSynchronize(void) { NEED_CTX(); return CUDA_SUCCESS; }
CUresult cuMemGetInfo_v2(size_t* free_, size_t* total) {
  NEED_CTX();
  *total = g_mem_limit ? g_mem_limit : (size_t)16 << 30;
  *free_ = *total - g_live_bytes;
  return CUDA_SUCCESS;
}

// ---- modules -----------------------------------------------------------------
CUresult cuModuleLoadData(CUmodule* mod, const void* image) {
  NEED_CTX();
  if (!image) return CUDA_ERROR_INVALID_VALUE;
  if (!load_emu()) { fprintf(stderr, "[stub libcuda] %s\n", g_emu_error.c_str()); return CUDA_ERROR_FILE_NOT_FOUND; }
  *mod = new CUmod_st{0};
  return CUDA_SUCCESS;
}
CUresult cuModuleLoadDataEx(CUmodule* mod, const void* image, unsigned int n, CUjit_option* opts, void** vals) {
  for (unsigned i = 0; i < n; ++i)
    if (opts[i] == CU_JIT_INFO_LOG_BUFFER && vals[i]) strcpy((char*)vals[i], "stub: no JIT");
  return cuModuleLoadData(mod, image);
}
CUresult cuModuleUnload(CUmodule mod) { NEED_CTX(); delete mod; return CUDA_SUCCESS; }
static bool unemulated(const std::string& name) {
  const char* env = getenv("STUB_UNEMULATED_FUNCTIONS");
  if (!env) return false;
  std::string all = env;
  for (char& c : all) if (c == ',') c = ' ';
  std::istringstream in(all);
  for (std::string pat; in >> pat;) {
    if (!pat.empty() && pat.back() == '*') {
      if (name.compare(0, pat.size() - 1, pat, 0, pat.size() - 1) == 0) return true;
    } else if (pat == name) {
      return true;
    }
  }
  return false;
}
CUresult cuModuleGetFunction(CUfunction* f, CUmodule mod, const char* name) {
  NEED_CTX();
  if (!mod || !name) return CUDA_ERROR_INVALID_VALUE;
  bool emulated = g_emu_names.count(name) > 0;
  if (!emulated && !unemulated(name)) { logf("cuModuleGetFunction(%s) -> NOT_FOUND", name); return CUDA_ERROR_NOT_FOUND; }
  *f = new CUfunc_st{name, emulated};
  return CUDA_SUCCESS;
}
CUresult cuFuncGetAttribute(int* pi, CUfunction_attribute a, CUfunction f) {
  NEED_INIT();
  if (!f) return CUDA_ERROR_INVALID_HANDLE;
  switch (a) {
    case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; break;
    case CU_FUNC_ATTRIBUTE_PTX_VERSION: *pi = 90; break;
    case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *pi = 90; break;
    default: *pi = 0;
  }
  return CUDA_SUCCESS;
}
CUresult cuFuncSetAttribute(CUfunction f, CUfunction_attribute, int) { NEED_INIT(); return f ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }

// ---- memory ------------------------------------------------------------------
CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) {
  NEED_CTX();
  if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
  std::lock_guard<std::mutex> lk(g_mu);
  if (g_mem_limit && g_live_bytes + bytes > g_mem_limit) { logf("cuMemAlloc(%zu) -> OUT_OF_MEMORY", bytes); return CUDA_ERROR_OUT_OF_MEMORY; }
  void* p = aligned_alloc(256, (bytes + 255) & ~(size_t)255);
  if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
  memset(p, 0xff, bytes);  // like real device memory, never zero-filled: NaN until written
  *dptr = (CUdeviceptr)(uintptr_t)p;
  g_allocs[(uintptr_t)p] = bytes;
  g_live_bytes += bytes;
  logf("cuMemAlloc(%zu) -> 0x%llx", bytes, (unsigned long long)*dptr);
  return CUDA_SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr d) {
  NEED_CTX();
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_allocs.find((uintptr_t)d);
  if (it == g_allocs.end()) return CUDA_ERROR_INVALID_VALUE;
  g_live_bytes -= it->second;
  g_allocs.erase(it);
  free((void*)(uintptr_t)d);
  return CUDA_SUCCESS;
}
CUresult cuMemHostAlloc(void** pp, size_t bytes, unsigned int) {
  NEED_CTX();
  *pp = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
  return *pp ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult cuMemFreeHost(void* p) { NEED_CTX(); free(p); return CUDA_SUCCESS; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) { NEED_CTX(); memcpy((void*)(uintptr_t)dst, src, n); return CUDA_SUCCESS; }
CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) { NEED_CTX(); memcpy(dst, (void*)(uintptr_t)src, n); return CUDA_SUCCESS; }
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) { NEED_CTX(); memmove((void*)(uintptr_t)dst, (void*)(uintptr_t)src, n); return CUDA_SUCCESS; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream) { return cuMemcpyHtoD_v2(dst, src, n); }
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream) { return cuMemcpyDtoH_v2(dst, src, n); }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream) { return cuMemcpyDtoD_v2(dst, src, n); }
CUresult cuMemsetD32Async(CUdeviceptr d, unsigned int v, size_t n, CUstream) {
  NEED_CTX(); unsigned* p = (unsigned*)(uintptr_t)d; for (size_t i = 0; i < n; ++i) p[i] = v; return CUDA_SUCCESS;
}

// ---- peer ------------------------------------------------------------------------
CUresult cuDeviceCanAccessPeer(int* can, CUdevice dev, CUdevice peer) {
  NEED_INIT(); CHECK_DEV(dev); CHECK_DEV(peer);
  *can = dev != peer;
  return CUDA_SUCCESS;
}
CUresult cuCtxEnablePeerAccess(CUcontext peer, unsigned int flags) {
  NEED_CTX();
  if (flags != 0 || !peer || peer == t_ctx) return CUDA_ERROR_INVALID_VALUE;
  if (t_ctx->peers.count(peer->dev)) return CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED;
  t_ctx->peers.insert(peer->dev);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyPeerAsync(CUdeviceptr dst, CUcontext dctx, CUdeviceptr src, CUcontext sctx, size_t n, CUstream) {
  NEED_CTX();
  if (!dctx || !sctx) return CUDA_ERROR_INVALID_CONTEXT;
  logf("cuMemcpyPeerAsync(dev%d <- dev%d, %zu bytes)", dctx->dev, sctx->dev, n);
  memmove((void*)(uintptr_t)dst, (void*)(uintptr_t)src, n);
  return CUDA_SUCCESS;
}

// ---- streams & events --------------------------------------------------------------
CUresult cuStreamCreate(CUstream* s, unsigned int flags) { NEED_CTX(); *s = new CUstream_st{flags}; return CUDA_SUCCESS; }
CUresult cuStreamDestroy_v2(CUstream s) { NEED_CTX(); delete s; return CUDA_SUCCESS; }
CUresult cuStreamSynchronize(CUstream) { NEED_CTX(); return CUDA_SUCCESS; }
CUresult cuStreamWaitEvent(CUstream, CUevent e, unsigned int) { NEED_CTX(); return e ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE; }
CUresult cuEventCreate(CUevent* e, unsigned int) { NEED_CTX(); *e = new CUevent_st{0, false, 0}; return CUDA_SUCCESS; }
CUresult cuEventDestroy_v2(CUevent e) { NEED_CTX(); delete e; return CUDA_SUCCESS; }
CUresult cuEventRecord(CUevent e, CUstream) {
  NEED_CTX();
  if (!e) return CUDA_ERROR_INVALID_HANDLE;
  e->t = now_ms(); e->recorded = true; e->pending = g_event_delay;
  return CUDA_SUCCESS;
}
CUresult cuEventSynchronize(CUevent e) { NEED_INIT(); if (!e) return CUDA_ERROR_INVALID_HANDLE; e->pending = 0; return CUDA_SUCCESS; }
CUresult cuEventQuery(CUevent e) {
  NEED_INIT();
  if (!e) return CUDA_ERROR_INVALID_HANDLE;
  if (e->pending > 0) { e->pending--; return CUDA_ERROR_NOT_READY; }
  return CUDA_SUCCESS;
}
static CUresult elapsed(float* ms, CUevent a, CUevent b) {
  NEED_INIT();
  if (!a || !b || !a->recorded || !b->recorded) return CUDA_ERROR_INVALID_HANDLE;
  *ms = (float)(b->t - a->t);
  return CUDA_SUCCESS;
}
#undef cuEventElapsedTime
CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) { return elapsed(ms, a, b); }
CUresult cuEventElapsedTime_v2(float* ms, CUevent a, CUevent b) { return elapsed(ms, a, b); }

// ---- launch --------------------------------------------------------------------------
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned smem, CUstream, void** kernelParams, void** extra) {
  NEED_CTX();
  if (!f) return CUDA_ERROR_INVALID_HANDLE;
  if (extra) return CUDA_ERROR_NOT_SUPPORTED;
  if (!gx || !gy || !gz || !bx || !by || !bz || bx * by * bz > 1024) return CUDA_ERROR_INVALID_VALUE;
  if (gy > 65535 || gz > 65535) return CUDA_ERROR_INVALID_VALUE;
  logf("launch %s<<<(%u,%u,%u),(%u,%u,%u),%u>>>", f->name.c_str(), gx, gy, gz, bx, by, bz, smem);
  if (!f->emulated) { logf("%s is not emulated", f->name.c_str()); return CUDA_ERROR_NOT_SUPPORTED; }
  int rc = g_emu_launch(f->name.c_str(), gx, gy, gz, bx, by, bz, smem, kernelParams);
  return rc == 0 ? CUDA_SUCCESS : CUDA_ERROR_LAUNCH_FAILED;
}

}  // extern "C"
